import { z } from 'zod';
import { BatchingPolicy } from './batching-policy.ts';
import { Routing } from './contracts/flavors.ts';
import { Id, JsonObject, Name, PositiveInt, Text } from './validation.ts';

export const ProcessorRef = z.strictObject({
  name: Name,
  version: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}$/, { error: 'must be a short version string' }),
});
export type ProcessorRef = z.infer<typeof ProcessorRef>;

/** Jobs one job may depend on: each is read by its plans and locked by its workers. */
export const MAX_DEPENDENCIES = 5;

/** What a user asks for when creating a job. */
export const JobSpec = z.strictObject({
  jobId: Name,
  datasetId: Name,
  /** The version defaults to the deployed processor's; when given it must match it. */
  processor: z.strictObject({ name: Name, version: ProcessorRef.shape.version.optional() }),
  config: JsonObject.default({}),
  batching: BatchingPolicy,
  description: Text(1024).optional(),
  /** Concurrent batches in one run (the Map's MaxConcurrency). @default 10 */
  maxConcurrency: PositiveInt(10_000).default(10),
  /** Percentage of batches that may fail before the Map fails. @default 100 (Finalize always reports) */
  toleratedFailurePercentage: z.number().min(0).max(100).default(100),
  /** How long a lease lasts without a heartbeat. @default 900 */
  leaseSeconds: PositiveInt(86_400).default(900),
  /**
   * Jobs this one waits on, over the same ids (core/jobs/dependencies.ts): its runs take only ranges their
   * batches completed (READY), and its batches over a range they redo become stale. A job over `<P>.outputs`
   * depends on P whether or not P is named here. `trigger` starts an incremental run when P commits.
   */
  dependsOn: z
    .array(z.strictObject({ jobId: Name, trigger: z.boolean().default(false) }))
    .max(MAX_DEPENDENCIES, { error: `must name at most ${MAX_DEPENDENCIES} jobs` })
    .optional(),
  /**
   * Batches at least `minWeight` heavy run on the container `flavor` (core/contracts/flavors.ts), the rest on
   * Lambda; the deployment must have the flavor. Not part of the config hash: where a batch runs is not what it
   * computes. @default every batch on Lambda
   */
  routing: Routing.optional(),
});
export type JobSpecInput = z.input<typeof JobSpec>;
export type JobSpec = z.infer<typeof JobSpec>;

export type JobState = 'ACTIVE' | 'DELETING';

export interface Job extends Omit<JobSpec, 'processor'> {
  readonly processor: ProcessorRef;
  readonly configHash: string;
  readonly state: JobState;
  /** Next id to plan: batches tile [firstId, watermark). */
  readonly watermark: number;
  readonly firstId: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastRunId?: string;
}

/** A batch's statuses, in the order counts and listings show them: the one list the CLI and records use. */
export const BATCH_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Where a batch lives: the job's real inventory, or a sample run's own. */
export type BatchScope = { kind: 'inventory' } | { kind: 'sample'; runId: string };

/** A batch range: ids start, start+stride, ... up to end (inclusive). */
export interface BatchRange {
  readonly start: number;
  readonly end: number;
  readonly stride: number;
}

export interface Batch extends BatchRange {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly count: number;
  readonly weight: number;
  readonly status: BatchStatus;
  readonly attempt: number;
  readonly token: number;
  readonly plannedAt: string;
  readonly reservedBy?: string;
  readonly reservedUntil?: number;
  readonly leaseOwner?: string;
  readonly leaseRunId?: string;
  readonly leaseExpiresAt?: number;
  readonly startedAt?: string;
  readonly completedAt?: string;
  readonly completedRunId?: string;
  readonly configHash?: string;
  readonly itemsSucceeded?: number;
  readonly itemsExcepted?: number;
  readonly outputKey?: string;
  readonly error?: string;
  readonly splitFrom?: string;
  /**
   * Set while the output object of the batch this one was split from is being moved into its parts' own
   * objects (see core/planning/split-outputs.ts): no lease, reservation or further split is granted until it is done.
   */
  readonly moveFrom?: string;
  /**
   * The READY lock (core/jobs/dependencies.ts): consumer batches reading this batch's output hold it until
   * `readUntil` at most; the producer takes no lease on it and does not split it while `readers` > 0 and
   * `readUntil` is still ahead. `readEpoch` grows each time a lapsed lock is taken anew, so a late release of
   * a lapsed reader cannot free a newer reader's lock.
   */
  readonly readers?: number;
  readonly readUntil?: number;
  readonly readEpoch?: number;
  /** A consumer's: the digest of the producer batches its last commit read (core/jobs/dependencies.ts). */
  readonly consumed?: string;
  /** Set when a consumer batch was reopened because its producers redid its range: what changed. */
  readonly staleFrom?: string;
}

export type AttemptOutcome = 'SUCCEEDED' | 'FAILED' | 'RETRY' | 'LEASE_EXPIRED';

/** One try of one batch. Written once, never overwritten. */
export interface Attempt {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly end: number;
  readonly attempt: number;
  readonly runId: string;
  readonly owner: string;
  readonly token: number;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly outcome: AttemptOutcome;
  readonly configHash: string;
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
  readonly durationMs: number;
  readonly error?: { name: string; message: string };
  /** The preflight answers and timings of the attempt: see core/preflight.ts. */
  readonly diagnostics?: Record<string, unknown>;
}

export const RUN_MODES = ['incremental', 'backfill', 'retry-failed', 'sample'] as const;
export type RunMode = (typeof RUN_MODES)[number];

export type RunStatus = 'PLANNED' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED';

export interface Run {
  readonly jobId: string;
  readonly runId: string;
  readonly mode: RunMode;
  readonly idStart?: number;
  readonly idEnd?: number;
  readonly every?: number;
  readonly limit?: number;
  readonly status: RunStatus;
  readonly plannedAt: string;
  readonly finishedAt?: string;
  readonly configHash: string;
  readonly batchesPlanned: number;
  readonly itemsPlanned: number;
  readonly manifestKey?: string;
  readonly stats?: RunStats;
}

export interface StateStats {
  readonly count: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly totalMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
}

export interface RunStats {
  readonly batchesSucceeded: number;
  readonly batchesFailed: number;
  readonly batchesNotDone: number;
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
  readonly attempts: number;
  readonly wallMs: number;
  readonly states: Readonly<Record<string, StateStats>>;
}

/** One catalog entry: a single object, or a chunk of records (an id range in one JSON Lines object). */
export interface CatalogEntry {
  readonly datasetId: string;
  readonly start: number;
  readonly count: number;
  readonly location: string;
  readonly format: 'object' | 'jsonl';
  /** Weight of each item; a single number applies to all. */
  readonly weights: number | readonly number[];
  readonly checksum?: string;
  readonly size?: number;
  readonly registeredAt: string;
  /**
   * When a corrected object was accepted at the location (`datasets accept`): size and checksum are then the
   * accepted object's, and batches over the entry completed before this instant are stale.
   */
  readonly acceptedAt?: string;
  /** For items requeued from exceptions: the original item. */
  readonly ref?: { datasetId: string; id: number };
  /** An upstream producer's mark: only READY entries may be processed. */
  readonly ready: boolean;
}

/** A catalog entry without its per-item weights: what a manifest item carries of it. */
export type EntryDescriptor = Omit<CatalogEntry, 'weights'>;

export const DatasetSpec = z.strictObject({
  datasetId: Name,
  description: Text(1024).optional(),
  /** Secrets Manager ARN for access to the data set's storage; the value itself is never stored. */
  secretArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/, {
      error: 'must be a Secrets Manager secret ARN',
    })
    .optional(),
});
export type DatasetSpec = z.infer<typeof DatasetSpec>;

export interface Dataset extends DatasetSpec {
  readonly highId: number;
  readonly createdAt: string;
  /** Set when the data set is a job's requeued exceptions. */
  readonly exceptionsOf?: string;
  /**
   * Set when the data set is a job's outputs (`<jobId>.outputs`): nothing is registered into it; its items are
   * the output lines of the job's committed batches, read through core/catalog/outputs-source.ts.
   */
  readonly outputsOf?: string;
  /** Set by `datasets delete`: nothing registers into it or reads it any more, and a re-run of the delete finishes it. */
  readonly state?: 'DELETING';
  /** The last time a corrected object was accepted (`datasets accept`): until then no batch can be stale. */
  readonly lastAcceptedAt?: string;
}

/** One item as read from a data set. */
export interface Item {
  readonly datasetId: string;
  readonly id: number;
  readonly location: string;
  readonly weight: number;
  readonly checksum?: string;
  readonly size?: number;
  readonly ready: boolean;
  readonly format: ItemFormat;
  /** For chunk entries: the line of this item in the object (0-based). */
  readonly line?: number;
  readonly ref?: { datasetId: string; id: number };
  /**
   * For a job with producers (core/jobs/dependencies.ts): the producer batches that hold this id, as they were
   * when read. The READY lock and the consumed record are taken from them.
   */
  readonly producers?: readonly ProducerBatchRef[];
}

/**
 * How an item's record is found in its object: the whole object, the line `line` of a chunk, or (a job's
 * outputs) the line whose `id` is the item's id.
 */
export type ItemFormat = 'object' | 'jsonl' | 'output';

/** A producer batch as a consumer read it: the lock and the staleness rules compare against it. */
export interface ProducerBatchRef {
  readonly jobId: string;
  readonly start: number;
  readonly end: number;
  readonly token: number;
  readonly completedAt: string;
  /** The run that had reserved it when it was read (a dead one: a live one's reservation makes it not READY). */
  readonly reservedBy?: string;
}

/** What loading an item's record needs: where it is and what its object must look like. */
export type ItemLocation = Omit<Item, 'datasetId' | 'weight'>;

// The batching policy and the exception records have files of their own; the model names them with the rest.
export {
  BATCH_WEIGHT,
  Batching,
  BatchingPolicy,
  BatchWeightTarget,
  MAX_BATCH_ITEMS,
} from './batching-policy.ts';
export {
  EXCEPTION_STATUSES,
  type ExceptionOccurrence,
  type ExceptionStatus,
  type ItemException,
} from './exception-model.ts';
export { Id };
