import type { Deps } from '../deps.ts';
import type { Batch, Job } from '../model.ts';

/** An entry whose object was accepted after registration: its ids and when. */
export interface AcceptedRange {
  readonly start: number;
  readonly end: number;
  readonly acceptedAt: string;
}

/**
 * The accepted entries a job's batches can overlap, in id order. Reads nothing when no object of the data set
 * was ever accepted (its lastAcceptedAt), and the entries' descriptors (no weights) otherwise.
 */
export async function acceptedRanges(
  deps: Pick<Deps, 'catalog'>,
  job: Pick<Job, 'datasetId' | 'firstId' | 'watermark'>,
): Promise<AcceptedRange[]> {
  const dataset = await deps.catalog.getDataset(job.datasetId);
  if (!dataset?.lastAcceptedAt || job.watermark <= job.firstId) return [];
  const out: AcceptedRange[] = [];
  for await (const e of deps.catalog.descriptors(job.datasetId, job.firstId, job.watermark - 1)) {
    if (e.acceptedAt) out.push({ start: e.start, end: e.start + e.count - 1, acceptedAt: e.acceptedAt });
  }
  return out;
}

/**
 * A batch is stale when it SUCCEEDED over ids of an entry whose object was accepted after the batch completed:
 * what it processed is not what the entry now says the object holds. A backfill over it clears that.
 */
export function isStale(batch: Batch, ranges: readonly AcceptedRange[]): boolean {
  if (batch.status !== 'SUCCEEDED' || batch.completedAt === undefined) return false;
  const done = batch.completedAt;
  return ranges.some((r) => r.start <= batch.end && batch.start <= r.end && done < r.acceptedAt);
}

/**
 * Stale batches as the backfill bounds that redo them: adjacent batches (one's end + 1 is the next's start)
 * make one range, so that `run --from S --to E` per range redoes exactly them.
 * @example backfillRanges([{ start: 1, end: 10 }, { start: 11, end: 20 }, { start: 41, end: 50 }])
 *   // [{ start: 1, end: 20 }, { start: 41, end: 50 }]
 */
export function backfillRanges(
  batches: readonly Pick<Batch, 'start' | 'end'>[],
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const b of [...batches].sort((x, y) => x.start - y.start)) {
    const last = out.at(-1);
    if (last && last.end + 1 === b.start) last.end = b.end;
    else out.push({ start: b.start, end: b.end });
  }
  return out;
}
