import { z } from 'zod';
import { Routing } from '../contracts/flavors.ts';
import { keys, pad } from '../contracts/tables.ts';
import type { Attempt, Batch, BatchScope, Job, Run } from '../model.ts';
import { BATCH_STATUSES, Batching, ProcessorRef, RUN_MODES } from '../model.ts';
import { JsonObject, parse } from '../validation.ts';

/**
 * Mapping between domain records and DynamoDB items of the inventory table. Records read back are validated
 * once here, so a corrupted or hand-edited item is a ValidationError naming the attribute, not a crash later.
 */

const JobItem = z.object({
  jobId: z.string(),
  datasetId: z.string(),
  processor: ProcessorRef,
  config: JsonObject,
  batching: Batching,
  description: z.string().optional(),
  maxConcurrency: z.number().int(),
  toleratedFailurePercentage: z.number(),
  leaseSeconds: z.number().int(),
  configHash: z.string(),
  state: z.enum(['ACTIVE', 'DELETING']),
  watermark: z.number().int(),
  firstId: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastRunId: z.string().optional(),
  dependsOn: z.array(z.object({ jobId: z.string(), trigger: z.boolean() })).optional(),
  routing: Routing.optional(),
});

export function toJobItem(job: Job): Record<string, unknown> {
  return { ...keys.job(job.jobId), kind: 'job', ...job };
}

export function fromJobItem(raw: Record<string, unknown>): Job {
  return parse(JobItem, raw, 'job record');
}

const BatchItem = z.object({
  jobId: z.string(),
  scope: z.enum(['inventory', 'sample']),
  sampleRunId: z.string().optional(),
  start: z.number().int(),
  end: z.number().int(),
  stride: z.number().int(),
  count: z.number().int(),
  weight: z.number(),
  status: z.enum(BATCH_STATUSES),
  attempt: z.number().int(),
  token: z.number().int(),
  plannedAt: z.string(),
  reservedBy: z.string().optional(),
  reservedUntil: z.number().optional(),
  leaseOwner: z.string().optional(),
  leaseRunId: z.string().optional(),
  leaseExpiresAt: z.number().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  completedRunId: z.string().optional(),
  configHash: z.string().optional(),
  itemsSucceeded: z.number().int().optional(),
  itemsExcepted: z.number().int().optional(),
  outputKey: z.string().optional(),
  error: z.string().optional(),
  splitFrom: z.string().optional(),
  moveFrom: z.string().optional(),
  readers: z.number().int().optional(),
  readUntil: z.number().int().optional(),
  readEpoch: z.number().int().optional(),
  consumed: z.string().optional(),
  staleFrom: z.string().optional(),
});

export const scopeKey = (scope: BatchScope): Record<string, unknown> =>
  scope.kind === 'inventory' ? { scope: 'inventory' } : { scope: 'sample', sampleRunId: scope.runId };

/** Partition of the sparse `open` index: the inventory and the samples are kept apart. */
export const openPkOf = (jobId: string, scope: BatchScope): string =>
  scope.kind === 'inventory' ? keys.openPk(jobId) : `${keys.openPk(jobId)}#S`;

export interface NewBatchItem {
  jobId: string;
  scope: BatchScope;
  start: number;
  end: number;
  stride: number;
  count: number;
  weight: number;
  plannedAt: string;
  reservedBy?: string;
  reservedUntil?: number;
}

export function toNewBatchItem(b: NewBatchItem): Record<string, unknown> {
  return {
    ...keys.batch(b.jobId, b.scope, b.start),
    kind: 'batch',
    ...scopeKey(b.scope),
    jobId: b.jobId,
    start: b.start,
    end: b.end,
    stride: b.stride,
    count: b.count,
    weight: b.weight,
    status: 'PENDING',
    attempt: 0,
    token: 0,
    plannedAt: b.plannedAt,
    reservedBy: b.reservedBy,
    reservedUntil: b.reservedUntil,
    openPk: openPkOf(b.jobId, b.scope),
    openSk: pad(b.start),
  };
}

export function fromBatchItem(raw: Record<string, unknown>): Batch {
  const { scope, sampleRunId, ...rest } = parse(BatchItem, raw, 'batch record');
  const s: BatchScope =
    scope === 'sample' ? { kind: 'sample', runId: sampleRunId ?? '' } : { kind: 'inventory' };
  return { ...rest, scope: s };
}

const AttemptItem = z.object({
  jobId: z.string(),
  scope: z.enum(['inventory', 'sample']),
  sampleRunId: z.string().optional(),
  start: z.number().int(),
  end: z.number().int(),
  attempt: z.number().int(),
  runId: z.string(),
  owner: z.string(),
  token: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string(),
  outcome: z.enum(['SUCCEEDED', 'FAILED', 'RETRY', 'LEASE_EXPIRED']),
  configHash: z.string(),
  itemsSucceeded: z.number().int(),
  itemsExcepted: z.number().int(),
  durationMs: z.number(),
  error: z.object({ name: z.string(), message: z.string() }).optional(),
  diagnostics: z.record(z.string(), z.unknown()).optional(),
});

export function toAttemptItem(a: Attempt): Record<string, unknown> {
  const { scope, ...rest } = a;
  return {
    ...keys.attempt(a.jobId, scope, a.start, a.end, a.attempt),
    kind: 'attempt',
    ...scopeKey(scope),
    ...rest,
    runPk: keys.runPk(a.jobId, a.runId),
    runSk: keys.attempt(a.jobId, scope, a.start, a.end, a.attempt).sk,
  };
}

export function fromAttemptItem(raw: Record<string, unknown>): Attempt {
  const { scope, sampleRunId, ...rest } = parse(AttemptItem, raw, 'attempt record');
  return {
    ...rest,
    scope: scope === 'sample' ? { kind: 'sample', runId: sampleRunId ?? '' } : { kind: 'inventory' },
  };
}

const StateStatsItem = z.object({
  count: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  totalMs: z.number(),
  minMs: z.number(),
  maxMs: z.number(),
  p50Ms: z.number(),
});

const RunItem = z.object({
  jobId: z.string(),
  runId: z.string(),
  mode: z.enum(RUN_MODES),
  idStart: z.number().optional(),
  idEnd: z.number().optional(),
  every: z.number().optional(),
  limit: z.number().optional(),
  status: z.enum(['PLANNED', 'SUCCEEDED', 'PARTIAL', 'FAILED']),
  plannedAt: z.string(),
  finishedAt: z.string().optional(),
  configHash: z.string(),
  batchesPlanned: z.number().int(),
  itemsPlanned: z.number().int(),
  manifestKey: z.string().optional(),
  stats: z
    .object({
      batchesSucceeded: z.number(),
      batchesFailed: z.number(),
      batchesNotDone: z.number(),
      itemsSucceeded: z.number(),
      itemsExcepted: z.number(),
      attempts: z.number(),
      wallMs: z.number(),
      states: z.record(z.string(), StateStatsItem),
    })
    .optional(),
});

export function toRunItem(run: Run): Record<string, unknown> {
  return { ...keys.run(run.jobId, run.runId), kind: 'run', ...run };
}

export function fromRunItem(raw: Record<string, unknown>): Run {
  return parse(RunItem, raw, 'run record');
}
