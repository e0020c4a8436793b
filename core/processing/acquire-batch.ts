import type { Deps } from '../deps.ts';
import { BatchNotFoundError } from '../errors.ts';
import { type AcquireInput, type AcquireResult, readLocked } from '../ports/index.ts';

/** What taking a lease can answer once a missing record has been dealt with. */
export type Acquired = Exclude<AcquireResult, { outcome: 'MISSING' }>;

/**
 * Take a batch's lease. A batch with no record may belong to a cut that its Plan recorded and left to the run's
 * workers (`cut`, the cut's first id): the cut is created (by whichever worker comes first; creating it again is
 * a no-op) and the lease asked for once more. With no cut, or when the cut holds no such batch, there is no such
 * batch.
 * @example const got = await acquireBatch(deps, { jobId, scope, start, owner, runId, leaseMs, policy }, item.cut);
 */
export async function acquireBatch(
  deps: Pick<Deps, 'leases' | 'cuts' | 'clock'>,
  input: AcquireInput,
  cut?: number,
): Promise<Acquired> {
  let got = await deps.leases.acquire(input);
  if (got.outcome === 'MISSING' && cut !== undefined) {
    await deps.cuts.finishCut(input.jobId, cut);
    got = await deps.leases.acquire(input);
  }
  if (got.outcome === 'MISSING')
    throw new BatchNotFoundError({ jobId: input.jobId, batchStart: input.start, scope: input.scope.kind });
  // Consumers reading the batch's output hold it for as long as their batch takes: wait a little for them
  // rather than leave the batch to the next run.
  for (let waits = 0; got.outcome === 'BUSY' && waits < READ_WAITS; waits++) {
    if (!readLocked(got.batch, deps.clock.now())) break;
    await new Promise((r) => setTimeout(r, READ_WAIT_MS));
    got = await deps.leases.acquire(input);
    if (got.outcome === 'MISSING')
      throw new BatchNotFoundError({ jobId: input.jobId, batchStart: input.start, scope: input.scope.kind });
  }
  return got;
}

/** How long, and how often, a producer's worker waits for consumers to give its batch back: 30 s at most. */
const READ_WAIT_MS = 500;
const READ_WAITS = 60;
