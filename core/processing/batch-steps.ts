import type { Deps } from '../deps.ts';
import { ItemRejectedError, RetryableError, SecretAccessError } from '../errors.ts';
import type { BatchScope, Dataset } from '../model.ts';
import type { LeaseGrant, NewException } from '../ports/index.ts';
import type { AnyProcessor, BatchContext } from '../processors/define-processor.ts';
import type { LoadedItem } from './load-batch.ts';
import { type Answer, type Preflight, preflightFailed } from './preflight.ts';

/**
 * The steps of ProcessBatch under a lease (core/processing/process-batch.ts): the secret, the item loop with its
 * heartbeats, the timings, and what happens to the attempt when something fails.
 */

export type Lease = LeaseGrant & {
  jobId: string;
  scope: BatchScope;
  start: number;
  end: number;
  owner: string;
  runId: string;
  configHash: string;
};

/**
 * A commit refused because the batch is gone (its job was deleted under the worker): what this attempt wrote
 * would outlive the job, so it goes. A batch that is still there belongs to whoever holds it now: nothing is
 * touched then.
 */
export async function dropIfBatchGone(
  deps: Deps,
  lease: Lease,
  keys: readonly (string | undefined)[],
): Promise<void> {
  if (await deps.batches.getBatch(lease.jobId, lease.scope, lease.start)) return;
  for (const key of keys) if (key) await deps.objects.delete(deps.buckets.work, key);
}

/** Time spent in each phase of a batch, kept with its attempt and summed per state by Finalize. */
export function phases(deps: Deps) {
  const laps: Record<string, number> = {};
  let last = deps.clock.now();
  return {
    laps,
    lap(name: string) {
      const now = deps.clock.now();
      laps[name] = now - last;
      last = now;
    },
  };
}

/** The data set's secret, if it names one, and the answer to "is it safe to access". */
export async function resolveSecret(
  deps: Deps,
  dataset: Dataset,
  lease: Lease,
): Promise<{ secret?: string; safe: Answer }> {
  if (!dataset.secretArn) return { safe: { ok: true, detail: 'no secret needed' } };
  try {
    if (!deps.secrets)
      throw new SecretAccessError({ secretArn: dataset.secretArn, reason: 'no secret resolver configured' });
    const secret = await deps.secrets.resolve(dataset.secretArn);
    return { secret, safe: { ok: true, detail: 'secret resolved' } };
  } catch (e) {
    const detail = e instanceof SecretAccessError ? e.message : 'secret could not be resolved';
    throw preflightFailed(lease, 'safe', { safe: { ok: false, detail } });
  }
}

/** What every hook of a processor sees of the batch under this lease (`state` comes from beforeBatch). */
export function batchContextOf(
  processor: AnyProcessor,
  job: { jobId: string; config: unknown },
  lease: Lease,
  secret: string | undefined,
  log: BatchContext<unknown, unknown>['log'],
): BatchContext<unknown, unknown> {
  return {
    jobId: job.jobId,
    runId: lease.runId,
    batch: { start: lease.start, end: lease.end },
    config: processor.parseConfig(job.config),
    state: undefined,
    secret: async () => secret,
    log,
  };
}

/** Extend the lease by `leaseMs` from now, fenced by its token (LeaseLostError when it is no longer ours). */
export const sendHeartbeat = (deps: Pick<Deps, 'leases'>, lease: Lease, leaseMs: number): Promise<void> =>
  deps.leases.heartbeat({
    jobId: lease.jobId,
    scope: lease.scope,
    start: lease.start,
    token: lease.token,
    owner: lease.owner,
    leaseMs,
  });

/**
 * Heartbeat when a third of the lease has passed since the last one, so that a slow batch keeps it; undefined
 * (no promise to await) until then.
 */
export function heartbeater(deps: Deps, lease: Lease, leaseMs: number): () => Promise<void> | undefined {
  let last = deps.clock.now();
  const send = async () => {
    await sendHeartbeat(deps, lease, leaseMs);
    last = deps.clock.now();
  };
  return () => (deps.clock.now() - last < leaseMs / 3 ? undefined : send());
}

export async function runItems(
  processor: AnyProcessor,
  items: LoadedItem[],
  ctx: BatchContext<unknown, unknown>,
  beat: () => Promise<void> | undefined,
) {
  const lines: string[] = [];
  const exceptions: NewException[] = [];
  let invalid = 0;
  for (const { id, raw } of items) {
    const beating = beat();
    if (beating) await beating;
    const parsed = processor.parseItem(raw);
    if (!parsed.ok) {
      invalid++;
      exceptions.push({ itemId: id, kind: 'invalid-item', details: { violations: parsed.violations } });
      continue;
    }
    try {
      const answer = processor.runItem(parsed.item, { id, ctx });
      const output = isThenable(answer) ? await answer : answer;
      lines.push(JSON.stringify({ id, output }));
    } catch (e) {
      if (!(e instanceof ItemRejectedError)) throw e;
      exceptions.push({ itemId: id, kind: e.kind, details: { ...e.details } });
    }
  }
  const valid = {
    ok: true,
    detail: `${items.length - invalid} of ${items.length} items parse against the schema`,
  };
  return { lines, exceptions, valid };
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

/** The attempt ends in the history with its error: RETRY gives the lease back for Step Functions' retry. */
export async function recordFailure(
  deps: Deps,
  lease: Lease,
  preflight: Preflight,
  e: unknown,
): Promise<void> {
  const error = {
    name: (e as Error)?.name ?? 'Error',
    // Room for a failed command's stderr tail (core/processing/command-batch.ts).
    message: String((e as Error)?.message ?? e).slice(0, 4096),
  };
  const outcome = e instanceof RetryableError ? 'RETRY' : 'FAILED';
  try {
    await deps.commits.fail({ ...lease, error, outcome, diagnostics: { preflight } });
  } catch (inner) {
    // A lost lease or a crash here leaves the attempt to RecordFailure or to the next owner's takeover.
    if ((inner as Error)?.name !== 'LeaseLostError') throw inner;
  }
}
