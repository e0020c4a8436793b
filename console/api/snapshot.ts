import type { Deps } from '../../core/deps.ts';
import { effectiveHash } from '../../core/jobs/config-hash.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import { acceptedRanges, backfillRanges, isStale } from '../../core/jobs/stale.ts';
import type { Batch, Job } from '../../core/model.ts';
import { type RangeClass, type RangeSnapshot, SnapshotBuilder } from '../range-map.ts';

/** What the jobs view shows beside the map: backlog and the ranges to redo. */
export interface JobRanges {
  readonly snapshot: RangeSnapshot;
  /** Ids of the data set not yet processed: in no SUCCEEDED batch. */
  readonly backlog: number;
  readonly drifted: number;
  readonly stale: number;
  /** Adjacent drifted or stale batches merged: the backfills that redo them. */
  readonly redo: readonly { start: number; end: number }[];
}

/** How a batch shows on the map, at `now`, against the config hash batches complete with now. */
export function classOf(b: Batch, current: string, stale: boolean, now: number): RangeClass {
  if (b.status === 'SUCCEEDED') return stale || b.configHash !== current ? 'stale' : 'done';
  if (b.status === 'FAILED') return 'failed';
  if (b.leaseExpiresAt !== undefined && b.leaseExpiresAt >= now) return 'leased';
  return 'pending';
}

/**
 * Read a job's ranges once: every inventory batch (ranges, not items), the cuts recorded and not yet created,
 * and the sample runs' batches. The console keeps the result for a few seconds (see SnapshotCache).
 */
export async function readJobRanges(deps: Deps, jobId: string): Promise<JobRanges> {
  const job = await getJob(deps, jobId);
  const current = effectiveHash(deps, job);
  const accepted = await acceptedRanges(deps, job);
  const dataset = await deps.catalog.getDataset(job.datasetId);
  const now = deps.clock.now();
  const builder = new SnapshotBuilder();
  const redo: Batch[] = [];
  let done = 0;
  let drifted = 0;
  let stale = 0;
  for await (const b of deps.batches.list(job.jobId, { kind: 'inventory' })) {
    const old = isStale(b, accepted);
    const cls = classOf(b, current, old, now);
    builder.add(b.start, b.end, cls);
    if (b.status === 'SUCCEEDED') done += b.count;
    if (b.status === 'SUCCEEDED' && b.configHash !== current) drifted++;
    if (old) stale++;
    if (cls === 'stale') redo.push(b);
  }
  for await (const c of deps.cuts.pendingCuts(job.jobId))
    for (const b of c.batches) builder.add(b.start, b.end, 'pending');
  await addSamples(deps, job, builder);
  const highId = Math.max(dataset?.highId ?? 0, job.watermark - 1);
  const snapshot = builder.build({ firstId: job.firstId, highId, takenAt: now });
  const backlog = Math.max(0, highId - job.firstId + 1 - done);
  return { snapshot, backlog, drifted, stale, redo: backfillRanges(redo) };
}

async function addSamples(deps: Deps, job: Job, builder: SnapshotBuilder): Promise<void> {
  let next: string | undefined;
  do {
    const page = await deps.runs.listRuns(job.jobId, { limit: 100, next });
    for (const run of page.items.filter((r) => r.mode === 'sample')) {
      for await (const b of deps.batches.list(job.jobId, { kind: 'sample', runId: run.runId }))
        builder.addSample(b.start, b.end, b.stride);
    }
    next = page.next;
  } while (next);
}

/** Snapshots per job, read again after `ttlMs` or when asked (after the console started a run or a review). */
export class SnapshotCache {
  readonly #held = new Map<string, { at: number; value: Promise<JobRanges> }>();
  constructor(
    private readonly deps: Deps,
    private readonly ttlMs = 3_000,
  ) {}

  get(jobId: string, fresh = false): Promise<JobRanges> {
    const now = Date.now();
    const held = this.#held.get(jobId);
    if (!fresh && held && now - held.at < this.ttlMs) return held.value;
    const value = readJobRanges(this.deps, jobId);
    this.#held.set(jobId, { at: now, value });
    value.catch(() => this.#held.delete(jobId));
    return value;
  }

  forget(jobId: string): void {
    this.#held.delete(jobId);
  }
}
