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
  return { key };
}

/**
 * Finish a committed attempt's exceptions work: write its staged exceptions (each occurrence once, so a repeat
 * changes nothing), drop their object, close as superseded the open exceptions of the items it processed, then
 * drop the record. An object already gone means a publisher got that far; every step can run again.
 */
export async function publishStaged(deps: Deps, p: ExceptionPublish): Promise<void> {
  const body = p.key === undefined ? undefined : await deps.objects.get(deps.buckets.work, p.key);
  if (body && p.key) {
    const list = linesOf(body).map((line) => JSON.parse(line) as NewException);
    for (let i = 0; i < list.length; i += PUBLISH_PAGE) {
      await deps.exceptions.putCommitted(p, list.slice(i, i + PUBLISH_PAGE), p.at);
      await deps.faults('exceptions.afterPublishPage');
    }
    await deps.objects.delete(deps.buckets.work, p.key);
  }
  if (p.supersede && p.scope.kind === 'inventory') {
    await deps.exceptions.supersede(p, p.end, p.at);
    await deps.faults('exceptions.afterSupersede');
  }
  await deps.publishes.finishPublish(p);
}

/** Publishes left by workers that died after their commit. */
export async function settlePendingPublishes(deps: Deps, jobId: string): Promise<void> {
  for (const p of await deps.publishes.pendingPublishes(jobId)) await publishStaged(deps, p);
}
