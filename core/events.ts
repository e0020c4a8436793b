import { z } from 'zod';
import { CONTAINER_FLAVOR_NAMES } from './contracts/flavors.ts';
import { RUN_MODES } from './model.ts';
import { Id, MAX_ID, Name, PositiveInt } from './validation.ts';

/**
 * The contracts between the state machine (statemachines/run-job.asl.json), the handlers and the local mode.
 * Each handler parses its event with one of these schemas, once.
 */

/** What a JSON value is, as a rule's message names it: `null`, `an array`, `a number`, ... */
const kindOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/**
 * What a user passes to StartExecution. Any JSON value reaches the Plan state whole (`$$.Execution.Input`), so
 * one that is not an object is refused here, by name, as every other bad input is.
 */
export const RunInput = z
  .strictObject(
    {
      jobId: Name,
      mode: z.enum(RUN_MODES, { error: `must be one of ${RUN_MODES.join(', ')}` }),
      idStart: Id.optional(),
      idEnd: Id.optional(),
      maxBatches: PositiveInt(100_000).optional(),
      every: PositiveInt(1_000_000).optional(),
      limit: PositiveInt(1_000_000).optional(),
      maxConcurrency: PositiveInt(10_000).optional(),
      toleratedFailurePercentage: z
        .number({ error: 'must be a number' })
        .min(0, { error: 'must be >= 0' })
        .max(100, { error: 'must be <= 100' })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'invalid_type' ? `must be a JSON object (is ${kindOf(issue.input)})` : undefined,
    },
  )
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (v.mode === 'backfill') {
      if (v.idStart === undefined) issue('idStart', 'is required for mode backfill');
      if (v.idEnd === undefined) issue('idEnd', 'is required for mode backfill');
    } else {
      if (v.idStart !== undefined && v.mode !== 'sample')
        issue('idStart', `is only allowed for mode backfill or sample`);
      if (v.idEnd !== undefined && v.mode !== 'sample')
        issue('idEnd', `is only allowed for mode backfill or sample`);
    }
    if (v.idStart !== undefined && v.idEnd !== undefined && v.idStart > v.idEnd)
      issue('idStart', 'must be <= idEnd');
    if (v.mode === 'sample' && v.every === undefined) issue('every', 'is required for mode sample');
    if (v.mode !== 'sample' && v.every !== undefined) issue('every', 'is only allowed for mode sample');
    if (v.mode !== 'sample' && v.limit !== undefined) issue('limit', 'is only allowed for mode sample');
  });
export type RunInput = z.infer<typeof RunInput>;

/** Step Functions execution names: 1-80 characters. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,80}$/, { error: 'must be 1-80 characters of A-Z a-z 0-9 _ -' });

/** The Plan state's payload: the raw execution input (parsed by the handler) and the execution's name. */
export const PlanEvent = z.strictObject({ input: z.unknown(), runId: RunId });
export type PlanEvent = z.infer<typeof PlanEvent>;

export const ScopeKind = z.enum(['inventory', 'sample']);

/** Catalog entries a manifest item carries at most (core/planning/manifest-entries.ts). */
export const MANIFEST_ENTRIES_MAX = 4;

/** A catalog entry as a manifest item carries it: what loading the batch needs, never weights or refs. */
export const ManifestEntry = z.strictObject({
  start: Id,
  count: PositiveInt(MAX_ID),
  location: z.string().min(1).max(1024),
  format: z.enum(['object', 'jsonl']),
  size: z.number().int().min(0).optional(),
  checksum: z.string().min(1).max(512).optional(),
});
export type ManifestEntry = z.infer<typeof ManifestEntry>;

/** One line of a run's manifest: the Map's item. */
export const ManifestItem = z.strictObject({
  start: Id,
  end: Id,
  stride: PositiveInt(1_000_000),
  scope: ScopeKind,
  /** The batch's catalog entries, in id order, when the planner could attach them. */
  entries: z.array(ManifestEntry).min(1).max(MANIFEST_ENTRIES_MAX).optional(),
  /**
   * The start of the recorded cut the batch belongs to, when Plan left the cut for the run's workers to create:
   * a worker that finds no batch record creates the cut and takes the lease.
   */
  cut: Id.optional(),
  /** The start of a cut further on in the manifest that this item's worker creates while it works. */
  ahead: Id.optional(),
  /**
   * The container flavor the batch runs on (contracts/flavors.ts `flavorFor`, from the job's routing and the
   * batch's weight); absent: the ProcessBatch Lambda. The state machine's RouteBatch Choice dispatches on it.
   */
  flavor: z.enum(CONTAINER_FLAVOR_NAMES).optional(),
});
export type ManifestItem = z.infer<typeof ManifestItem>;

export interface PlanOutput {
  readonly jobId: string;
  readonly runId: string;
  readonly mode: RunInput['mode'];
  readonly batches: number;
  readonly items: number;
  readonly newBatches: number;
  readonly skippedBusy: number;
  readonly manifestBucket: string;
  readonly manifestKey: string;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
}

/** The ProcessBatch state's payload, built by the Map's ItemSelector. */
export const ProcessBatchEvent = z.strictObject({
  jobId: Name,
  runId: RunId,
  mode: z.enum(RUN_MODES),
  batch: ManifestItem,
});
export type ProcessBatchEvent = z.infer<typeof ProcessBatchEvent>;

export interface ProcessBatchOutput {
  readonly outcome: 'SUCCEEDED' | 'ALREADY_DONE' | 'BUSY';
  readonly start: number;
  readonly end: number;
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
  readonly durationMs: number;
}

/** Step Functions' Catch output: error name and cause (for a Lambda error, a JSON document with errorMessage). */
export const CaughtError = z.object({ Error: z.string(), Cause: z.string().optional() });

export const RecordFailureEvent = z.strictObject({
  jobId: Name,
  runId: RunId,
  mode: z.enum(RUN_MODES),
  batch: ManifestItem,
  error: CaughtError,
});
export type RecordFailureEvent = z.infer<typeof RecordFailureEvent>;

export const FinalizeEvent = z.strictObject({
  jobId: Name,
  runId: RunId,
  mapError: CaughtError.optional(),
});
export type FinalizeEvent = z.infer<typeof FinalizeEvent>;

export interface FinalizeOutput {
  readonly jobId: string;
  readonly runId: string;
  readonly status: 'SUCCEEDED' | 'PARTIAL' | 'FAILED';
  readonly batchesSucceeded: number;
  readonly batchesFailed: number;
  readonly batchesNotDone: number;
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
}

/** A JobEvent (core/ports/event-bus.ts) as it is stored in the event log and carried as the bus's detail. */
export const JobEventSchema = z.object({
  eventId: z.string(),
  type: z.enum(['BatchCommitted', 'RunFinished']),
  jobId: z.string(),
  runId: z.string(),
  at: z.string(),
  detail: z.record(z.string(), z.unknown()),
});
