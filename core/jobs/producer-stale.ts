import type { Deps } from '../deps.ts';
import type { Batch, Job, ProducerBatchRef } from '../model.ts';
import { producersOf, staleBatches } from './dependencies.ts';

/** A consumer batch stale against its producers, and what changed there. */
export interface ProducerStaleness {
  readonly start: number;
  readonly end: number;
  /**
   * `stale`: SUCCEEDED, and a producer redid (part of) its range since it read it; `reopened`: put back to
   * open for that reason by an incremental plan, not yet redone. The next incremental run takes either again
   * once the producers are READY.
   */
  readonly kind: 'stale' | 'reopened';
  /** The producer ranges that changed, e.g. `a 21-30 (2026-01-01T10:00:00.000Z)`. */
  readonly changed: string;
}

/**
 * The job's batches stale against their producers, by start: SUCCEEDED ones whose consumed digest differs from
 * the producer batches over their range now (`staleBatches`), and open ones an incremental plan reopened for
 * that reason (`staleFrom`). Nothing is read for a job without producers.
 * @example const stale = await producerStaleness(deps, job); stale.get(21)?.changed
 */
export async function producerStaleness(
  deps: Pick<Deps, 'batches'>,
  job: Job,
): Promise<Map<number, ProducerStaleness>> {
  const out = new Map<number, ProducerStaleness>();
  if (producersOf(job).length === 0) return out;
  for await (const { batch, now } of staleBatches(deps, job)) {
    out.set(batch.start, { ...rangeOf(batch), kind: 'stale', changed: describe(changedSince(batch, now)) });
  }
  for await (const b of deps.batches.openBatches(job.jobId)) {
    if (b.scope.kind !== 'inventory' || b.staleFrom === undefined) continue;
    out.set(b.start, { ...rangeOf(b), kind: 'reopened', changed: b.staleFrom });
  }
  return out;
}

const rangeOf = (b: Batch) => ({ start: b.start, end: b.end });

/**
 * The producer batches committed after the consumer batch (the ones redone since it read them); all of them
 * when none is later (a producer batch gone, or clocks that disagree): the digest says that something changed.
 */
function changedSince(batch: Batch, now: readonly ProducerBatchRef[]): readonly ProducerBatchRef[] {
  const done = batch.completedAt ?? '';
  const later = now.filter((r) => r.completedAt === '' || r.completedAt > done);
  return later.length > 0 ? later : now;
}

/** The same wording as a reopened batch's `staleFrom`, so that both read alike. */
function describe(refs: readonly ProducerBatchRef[]): string {
  if (refs.length === 0) return 'no producer batch over its range any more';
  const shown = refs
    .slice(0, 5)
    .map((r) => `${r.jobId} ${r.start}-${r.end} (${r.completedAt || 'not committed'})`)
    .join(', ');
  return refs.length > 5 ? `${shown} and ${refs.length - 5} more` : shown;
}
