import { jsonLines, linesOf, stagedKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import type { BatchScope } from '../model.ts';
import type { ExceptionPublish, NewException, StagedExceptions } from '../ports/index.ts';

/** Exceptions written per page when staged ones are published; a fault point sits between pages. */
const PUBLISH_PAGE = 100;

/**
 * A batch with more exceptions than its commit transaction carries stages them: one S3 object per attempt
 * (stagedKeyOf), written before the commit, named in the commit's transaction, and written to the exceptions
 * table only once the commit is in. Exceptions of an attempt that never committed are therefore never seen; a
 * crash after the commit leaves the publish record, and the next plan of the job (or the same worker) finishes it.
 */
export async function stageExceptions(
  deps: Deps,
  lease: { jobId: string; scope: BatchScope; start: number; token: number },
  exceptions: readonly NewException[],
): Promise<StagedExceptions> {
  const key = stagedKeyOf(lease.jobId, lease.scope, lease.start, lease.token);
  const body = jsonLines(exceptions.map((x) => JSON.stringify(x)));
  await deps.objects.put(deps.buckets.work, key, body, 'application/x-ndjson');
  return { key, at: new Date(deps.clock.now()).toISOString() };
}

/**
 * Write a committed attempt's staged exceptions (each only if absent, so a repeat never reopens one resolved
 * meanwhile), then drop the object and the record. An object already gone means a publisher got that far.
 */
export async function publishStaged(deps: Deps, p: ExceptionPublish): Promise<void> {
  const body = await deps.objects.get(deps.buckets.work, p.key);
  if (body) {
    const list = linesOf(body).map((line) => JSON.parse(line) as NewException);
    for (let i = 0; i < list.length; i += PUBLISH_PAGE) {
      await deps.exceptions.putCommitted(p.jobId, p.runId, p.start, list.slice(i, i + PUBLISH_PAGE), p.at);
      await deps.faults('exceptions.afterPublishPage');
    }
    await deps.objects.delete(deps.buckets.work, p.key);
  }
  await deps.publishes.finishPublish(p);
}

/** Publishes left by workers that died after their commit. */
export async function settlePendingPublishes(deps: Deps, jobId: string): Promise<void> {
  for (const p of await deps.publishes.pendingPublishes(jobId)) await publishStaged(deps, p);
}
