import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import {
  BATCH_STATUSES,
  type Batch,
  type BatchStatus,
  type ExceptionStatus,
  type Job,
  type Run,
} from '../model.ts';
import { effectiveHash } from './config-hash.ts';
import { getJob } from './jobs.ts';
import { acceptedRanges, isStale } from './stale.ts';

export interface JobSummary {
  readonly job: Job;
  /** The hash batches complete with under the deployed processor: differs from job.configHash after a code upgrade. */
  readonly effectiveConfigHash: string;
  readonly batches: Record<BatchStatus, number>;
  readonly itemsDone: number;
  readonly itemsExcepted: number;
  readonly idsCovered: { readonly first: number; readonly watermark: number };
  readonly drifted: number;
  readonly exceptions: Record<ExceptionStatus, number>;
  readonly lastRun?: Run;
}

/**
 * A job's statistics: batches by status (with those of cuts not yet created as PENDING), items done, drift,
 * open exceptions, last run. Reads every batch of the inventory once (ranges, not items: a million items at
 * 1,000 per batch is 1,000 reads).
 */
export async function jobSummary(deps: Deps, jobId: unknown): Promise<JobSummary> {
  const job = await getJob(deps, jobId);
  const current = effectiveHash(deps, job);
  const batches = Object.fromEntries(BATCH_STATUSES.map((s) => [s, 0])) as Record<BatchStatus, number>;
  let itemsDone = 0;
  let itemsExcepted = 0;
  let drifted = 0;
  for await (const b of deps.batches.list(job.jobId, { kind: 'inventory' })) {
    batches[b.status]++;
    if (b.status !== 'SUCCEEDED') continue;
    itemsDone += b.itemsSucceeded ?? 0;
    itemsExcepted += b.itemsExcepted ?? 0;
    if (b.configHash !== current) drifted++;
  }
  // Batches of cuts recorded and not yet created (a run's workers or the next plan create them) are pending.
  for await (const c of deps.cuts.pendingCuts(job.jobId)) batches.PENDING += c.batches.length;
  const lastRun = job.lastRunId ? await deps.runs.getRun(job.jobId, job.lastRunId) : undefined;
  return {
    job,
    effectiveConfigHash: current,
    batches,
    itemsDone,
    itemsExcepted,
    idsCovered: { first: job.firstId, watermark: job.watermark },
    drifted,
    exceptions: await deps.exceptions.counts(job.jobId),
    lastRun,
  };
}

/**
 * A job's batches in id order, optionally by status, only those that drifted (completed with another
 * configHash than the one batches complete with now), or only those that are stale (completed before an
 * object they cover was accepted: core/jobs/stale.ts).
 */
export async function* listBatches(
  deps: Deps,
  jobId: unknown,
  filter: { status?: unknown; drift?: boolean; stale?: boolean } = {},
): AsyncGenerator<Batch> {
  const job = await getJob(deps, jobId);
  if (filter.status !== undefined && !BATCH_STATUSES.includes(filter.status as BatchStatus)) {
    throw new ValidationError([{ field: 'status', rule: `must be one of ${BATCH_STATUSES.join(', ')}` }]);
  }
  const current = effectiveHash(deps, job);
  const accepted = filter.stale ? await acceptedRanges(deps, job) : [];
  for await (const b of deps.batches.list(job.jobId, { kind: 'inventory' })) {
    if (filter.status !== undefined && b.status !== filter.status) continue;
    if (filter.drift && !(b.status === 'SUCCEEDED' && b.configHash !== current)) continue;
    if (filter.stale && !isStale(b, accepted)) continue;
    yield b;
  }
}

/** Batches completed with another configHash than the current one. */
export async function drift(deps: Deps, jobId: unknown): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of listBatches(deps, jobId, { drift: true })) out.push(b);
  return out;
}
