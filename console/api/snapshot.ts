import { sourceOfDataset } from '../../core/catalog/sources.ts';
import type { Deps } from '../../core/deps.ts';
import { effectiveHash } from '../../core/jobs/config-hash.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import { acceptedRanges, backfillRanges, isStale } from '../../core/jobs/stale.ts';
import { BATCH_STATUSES, type Batch, type BatchStatus, type Job } from '../../core/model.ts';
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
  /** The figures of `jobs show` (core/jobs/stats.ts jobSummary), counted in the same pass. */
  readonly counts: {
    readonly effectiveConfigHash: string;
    readonly batches: Record<BatchStatus, number>;
    readonly itemsDone: number;
    readonly itemsExcepted: number;
  };
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
 * and the sample runs' batches, counting on the way what `jobs show` counts (jobSummary reads the same batches:
 * one pass serves the map and the figures of a job of a million batches). The console keeps the result for a
 * few seconds (see SnapshotCache).
 */
export async function readJobRanges(deps: Deps, jobId: string): Promise<JobRanges> {
  const job = await getJob(deps, jobId);
  const current = effectiveHash(deps, job);
  const accepted = await acceptedRanges(deps, job);
  const dataset = await deps.catalog.getDataset(job.datasetId);
  const now = deps.clock.now();
  const builder = new SnapshotBuilder();
  const redo: Batch[] = [];
  const batches = Object.fromEntries(BATCH_STATUSES.map((x) => [x, 0])) as Record<BatchStatus, number>;
  let done = 0;
  let itemsDone = 0;
  let itemsExcepted = 0;
  let drifted = 0;
  let stale = 0;
  for await (const b of deps.batches.list(job.jobId, { kind: 'inventory' })) {
    const old = isStale(b, accepted);
    const cls = classOf(b, current, old, now);
    builder.add(b.start, b.end, cls);
    batches[b.status]++;
    if (cls === 'stale') redo.push(b);
    if (old) stale++;
    if (b.status !== 'SUCCEEDED') continue;
    done += b.count;
    itemsDone += b.itemsSucceeded ?? 0;
    itemsExcepted += b.itemsExcepted ?? 0;
    if (b.configHash !== current) drifted++;
  }
  // As jobSummary counts them: batches of cuts recorded and not yet created are pending.
  for await (const c of deps.cuts.pendingCuts(job.jobId)) {
    for (const b of c.batches) builder.add(b.start, b.end, 'pending');
    batches.PENDING += c.batches.length;
  }
  await addSamples(deps, job, builder);
  // A job's outputs grow with the job: their last id is the producer's, not the one recorded at creation.
  const datasetHigh = dataset?.outputsOf
    ? await sourceOfDataset(deps, dataset).highId()
    : (dataset?.highId ?? 0);
  const highId = Math.max(datasetHigh, job.watermark - 1);
  const snapshot = builder.build({ firstId: job.firstId, highId, takenAt: now });
  const backlog = Math.max(0, highId - job.firstId + 1 - done);
  const counts = { effectiveConfigHash: current, batches, itemsDone, itemsExcepted };
  return { snapshot, backlog, drifted, stale, redo: backfillRanges(redo), counts };
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

/**
 * Snapshots per job, read again when asked (after the console started a run or a review) or once they are older
 * than `ttlMs`, or five times what reading them took: a job whose read takes seconds is not read on every click.
 */
export class SnapshotCache {
  readonly #held = new Map<string, { at: number; keepMs: number; value: Promise<JobRanges> }>();
  constructor(
    private readonly deps: Deps,
    private readonly ttlMs = 3_000,
  ) {}

  get(jobId: string, fresh = false): Promise<JobRanges> {
    const now = Date.now();
    const held = this.#held.get(jobId);
    if (!fresh && held && now - held.at < held.keepMs) return held.value;
    const entry = { at: now, keepMs: Number.POSITIVE_INFINITY, value: readJobRanges(this.deps, jobId) };
    this.#held.set(jobId, entry);
    entry.value.then(
      () => {
        entry.keepMs = Math.max(this.ttlMs, 5 * (Date.now() - now));
        entry.at = Date.now();
      },
      () => this.#held.delete(jobId),
    );
    return entry.value;
  }

  forget(jobId: string): void {
    this.#held.delete(jobId);
  }
}
