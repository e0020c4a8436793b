import type {
  Attempt,
  Batch,
  BatchScope,
  CatalogEntry,
  Dataset,
  DatasetSpec,
  EntryDescriptor,
  ExceptionStatus,
  Item,
  ItemException,
  Job,
  Run,
} from './model.ts';

/** Wall clock in epoch milliseconds; tests pass a controllable one. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Fault injection: called by name between two writes of every multi-write operation. A test or a chaos run
 * throws InjectedFaultError from it to simulate a crash at that point. Production passes nothing.
 */
export type FaultHook = (point: string) => void | Promise<void>;
export const noFaults: FaultHook = () => {};

export interface Page<T> {
  readonly items: T[];
  /** Opaque cursor for the next page; absent on the last one. */
  readonly next?: string;
}

export interface PageRequest {
  readonly limit?: number;
  readonly next?: string;
}

/** New entries to register; ids are handed out by the store. */
export interface NewEntry {
  readonly count: number;
  readonly location: string;
  readonly format: 'object' | 'jsonl';
  readonly weights: number | readonly number[];
  readonly checksum?: string;
  readonly size?: number;
  readonly ref?: { datasetId: string; id: number };
  readonly ready?: boolean;
}

export interface RegisterResult {
  /** First and last id handed out by this call; absent when every location was already registered. */
  readonly firstId?: number;
  readonly lastId?: number;
  readonly registered: number;
  readonly skippedLocations: string[];
  readonly highId: number;
}

/** The catalog: data sets and their items, with ids from an atomic counter. */
export interface CatalogStore {
  createDataset(spec: DatasetSpec & { exceptionsOf?: string }, at: string): Promise<Dataset>;
  getDataset(datasetId: string): Promise<Dataset | undefined>;
  listDatasets(page?: PageRequest): Promise<Page<Dataset>>;
  /** One counter write per call (within a transaction with the entries); a location registers once. */
  register(datasetId: string, entries: readonly NewEntry[], at: string): Promise<RegisterResult>;
  /** Entries overlapping [start, end], in id order. */
  entries(datasetId: string, start: number, end: number): AsyncIterable<CatalogEntry>;
  /**
   * The same entries without their per-item weights, which are most of an entry's size (8 bytes an item when
   * they differ): for readers that need only where the items are, such as the planner's manifest.
   */
  descriptors(datasetId: string, start: number, end: number): AsyncIterable<EntryDescriptor>;
  markReady(datasetId: string, start: number, end: number): Promise<number>;
  /** The first id a location was registered under (from its L# marker), if it was. */
  findLocation(datasetId: string, location: string): Promise<number | undefined>;
}

/** Anything a job can read items from: the catalog, or another job's requeued exceptions (via the catalog). */
export interface Source {
  readonly datasetId: string;
  highId(): Promise<number>;
  /** Items with ids in [start, end] stepping by stride, in order. */
  items(start: number, end: number, stride?: number): AsyncIterable<Item>;
}

/** A new batch to create in one reservation. */
export interface NewBatch {
  readonly start: number;
  readonly end: number;
  readonly stride: number;
  readonly count: number;
  readonly weight: number;
}

/** New ranges a planner took past the watermark: recorded first, then created as batches reserved for its run. */
export interface NewCut {
  readonly jobId: string;
  /** The watermark it moved, which is the first batch's start. */
  readonly from: number;
  /** 1 to 99, adjacent, in id order. */
  readonly batches: readonly NewBatch[];
  readonly runId: string;
  readonly reservedUntil: number;
  /** When it was planned (ISO): its batches' plannedAt. */
  readonly at: string;
}

/** Leaves batches under a lease live at `now` out of an open-batch query, telling `leased` how many it left. */
export interface LeaseFilter {
  readonly now: number;
  leased(n: number): void;
}

export interface LeaseGrant {
  readonly token: number;
  readonly attempt: number;
  /** Epoch ms when this lease was taken: the attempt's start. */
  readonly startedAt: number;
  readonly batch: Batch;
  /** Set when an expired lease of another owner was taken over (its attempt is then logged LEASE_EXPIRED). */
  readonly tookOverFrom?: string;
}

/** How acquire treats a batch already SUCCEEDED. */
export type AcquirePolicy =
  /** incremental, retry-failed, sample: a SUCCEEDED batch is done, skip it */
  | 'skip-succeeded'
  /** backfill: process again unless this very run already completed it */
  | 'redo-unless-same-run';

export type AcquireResult =
  | ({ outcome: 'ACQUIRED' } & LeaseGrant)
  | { outcome: 'ALREADY_DONE'; batch: Batch }
  | { outcome: 'BUSY'; batch: Batch };

/** What identifies one lease: the fencing token of an attempt. */
export interface LeaseRef {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly end: number;
  readonly token: number;
  readonly attempt: number;
  readonly startedAt: number;
}

export interface CommitInput extends LeaseRef {
  readonly owner: string;
  readonly runId: string;
  readonly configHash: string;
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
  readonly outputKey?: string;
  readonly diagnostics?: Record<string, unknown>;
  /** Written in the commit transaction: at most COMMIT_EXCEPTIONS_MAX. */
  readonly exceptions: readonly NewException[];
  /** More exceptions than a commit carries, staged in S3 and published once the commit is in. */
  readonly staged?: StagedExceptions;
}

/** Exceptions a commit transaction carries beside the batch and the attempt (DynamoDB: 100 items). */
export const COMMIT_EXCEPTIONS_MAX = 98;

/** A batch's exceptions staged as an S3 object (JSON Lines of NewException) before its commit. */
export interface StagedExceptions {
  readonly key: string;
  /** When they were found: the exceptions' createdAt. */
  readonly at: string;
}

/**
 * Staged exceptions of a committed attempt, to be written to the exceptions table: recorded in the commit
 * transaction, removed once they are all written.
 */
export interface ExceptionPublish extends StagedExceptions {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly runId: string;
  readonly token: number;
}

export interface FailInput extends LeaseRef {
  readonly owner: string;
  readonly runId: string;
  readonly configHash: string;
  readonly error: { name: string; message: string };
  readonly diagnostics?: Record<string, unknown>;
  /** RETRY releases the lease and leaves the batch to be acquired again; FAILED marks it failed. */
  readonly outcome: 'FAILED' | 'RETRY';
}

export interface NewException {
  readonly itemId: number;
  readonly kind: string;
  readonly details: Record<string, unknown>;
}

/** A split of one batch, asked by a planner; see InventoryStore.splitBatch. */
export interface SplitRequest {
  readonly jobId: string;
  readonly batch: Batch;
  readonly parts: readonly NewBatch[];
  readonly at: string;
  /** The output object key of the batch as it is before the split (derived from its range). */
  readonly outputKey: string;
  readonly runId: string;
  readonly reservedUntil: number;
  readonly now: number;
  /** Runs known to be finished: their reservations may be overridden. */
  readonly staleRuns: readonly string[];
}

/**
 * The output object of a batch that was split, to be moved into one object per part: written in the split's
 * transaction, removed once done. Until then the parts carry `moveFrom` and are not leased.
 */
export interface OutputMove {
  readonly jobId: string;
  /** Key of the split batch's output object (it may not exist: the batch had not committed). */
  readonly from: string;
  /** Whether the split batch had SUCCEEDED: then its lines go to the parts; otherwise nothing is kept. */
  readonly succeeded: boolean;
  readonly parts: readonly (readonly [number, number])[];
  /** The run that split it: it alone moves the output while it is live. */
  readonly runId: string;
}

/** Jobs, batches (leases), attempts and runs. */
export interface InventoryStore {
  putJob(job: Job): Promise<{ created: true } | { created: false; existing: Job }>;
  getJob(jobId: string): Promise<Job | undefined>;
  listJobs(page?: PageRequest): Promise<Page<Job>>;
  /** New config from now on; history kept. */
  updateJobConfig(
    jobId: string,
    change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
    at: string,
  ): Promise<Job>;
  markJobDeleting(jobId: string, at: string): Promise<void>;

  /**
   * Reserve new ranges past the watermark, step one: the watermark moves from `cut.from` to the end of the cut's
   * last batch only if it is still `cut.from`, and the cut is recorded with it. Returns false when another
   * planner moved it first.
   */
  cutNew(cut: NewCut): Promise<boolean>;
  /**
   * Step two: create the cut's batches, reserved for `cut.runId`, and drop the cut record, atomically. A cut
   * already created (by a planner finishing it for a dead one) is success; a job being deleted is an error.
   */
  createCut(cut: NewCut): Promise<void>;
  /** Cuts recorded by step one and not yet created. */
  pendingCuts(jobId: string): AsyncIterable<NewCut>;
  /**
   * Create the cut recorded at `from` if it is still recorded (createCut); a cut already created or removed by
   * a deletion leaves nothing to do. A job being deleted is an error, as for createCut.
   */
  finishCut(jobId: string, from: number): Promise<void>;
  /** Create sample batches (apart from the inventory). Idempotent. */
  putSampleBatches(jobId: string, runId: string, batches: readonly NewBatch[], at: string): Promise<void>;
  /** Reserve an existing batch for a run unless it is under a live lease or a live reservation. */
  reserveExisting(
    jobId: string,
    start: number,
    runId: string,
    reservedUntil: number,
    now: number,
    staleRuns: readonly string[],
  ): Promise<boolean>;
  /**
   * Replace one batch by consecutive parts that tile it (backfill bounds inside a batch), reserved for the
   * splitting run, and record the move of the batch's output object into the parts' own (`OutputMove`).
   * Refused (false) when the batch changed since it was read, is leased, or is reserved by another live run.
   */
  splitBatch(split: SplitRequest): Promise<boolean>;
  /** Output moves of split batches not yet finished, oldest range first. */
  pendingMoves(jobId: string): Promise<OutputMove[]>;
  /** Step 2 of a move: every part names its own output object and its counts. No-op once recorded. */
  recordMovedOutputs(
    move: OutputMove,
    outputs: readonly { outputKey: string; itemsSucceeded: number }[],
  ): Promise<void>;
  /** Step 4 of a move: the parts are released and the move record removed. No-op once finished. */
  finishMove(move: OutputMove): Promise<void>;
  /** A live lease of the job, inventory or sample, if any. */
  findLiveLease(jobId: string): Promise<Batch | undefined>;

  getBatch(jobId: string, scope: BatchScope, start: number): Promise<Batch | undefined>;
  /** Batches of the inventory (or a sample scope) in id order, start >= from. */
  batches(jobId: string, scope: BatchScope, from?: number, to?: number): AsyncIterable<Batch>;
  /**
   * Batches not yet SUCCEEDED, in id order (eventually consistent). With `free`, those under a lease live at
   * `free.now` are left out, and `free.leased` is told how many were.
   */
  openBatches(jobId: string, free?: LeaseFilter): AsyncIterable<Batch>;
  /** The inventory batch whose range contains id, if any. */
  batchContaining(jobId: string, id: number): Promise<Batch | undefined>;

  /**
   * Take the lease. With `cut`, a batch whose record is missing is looked for in that recorded cut: the cut is
   * created (finishCut) and the lease taken; without one, or when the cut holds no such batch, a missing
   * record is a BatchNotFoundError.
   */
  acquire(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    owner: string;
    runId: string;
    leaseMs: number;
    policy: AcquirePolicy;
    cut?: number;
  }): Promise<AcquireResult>;
  heartbeat(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    token: number;
    owner: string;
    leaseMs: number;
  }): Promise<void>;
  /** Fenced: only while the token is current and the lease unexpired; records the attempt and exceptions. */
  commit(input: CommitInput): Promise<void>;
  /** Fenced like commit. */
  fail(input: FailInput): Promise<void>;
  /** Records exceptions ahead of a commit, fenced by the token (for batches with many exceptions). */
  /** Staged exceptions of committed attempts not yet published. */
  pendingPublishes(jobId: string): Promise<ExceptionPublish[]>;
  /** The staged exceptions are all written: the record goes. */
  finishPublish(p: ExceptionPublish): Promise<void>;
  /**
   * A worker died without recording its end (timeout, out of memory): mark its attempt FAILED, but only if
   * the batch is still held by that run with the token read, so a newer owner is never disturbed.
   */
  failAbandoned(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  }): Promise<boolean>;

  attempts(jobId: string, scope: BatchScope, start?: number): AsyncIterable<Attempt>;
  runAttempts(jobId: string, runId: string): AsyncIterable<Attempt>;
  putRun(run: Run): Promise<void>;
  getRun(jobId: string, runId: string): Promise<Run | undefined>;
  listRuns(jobId: string, page?: PageRequest): Promise<Page<Run>>;
  finishRun(jobId: string, runId: string, patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>): Promise<Run>;

  /** Delete one page of the job's partition (everything but META), returns how many were deleted. */
  deletePage(jobId: string, limit: number): Promise<number>;
  deleteJobRecord(jobId: string): Promise<void>;
}

export interface ExceptionStore {
  get(jobId: string, exceptionId: string): Promise<ItemException | undefined>;
  list(jobId: string, status: ExceptionStatus | undefined, page?: PageRequest): Promise<Page<ItemException>>;
  resolve(jobId: string, exceptionId: string, note: string, at: string): Promise<ItemException>;
  markRequeued(
    jobId: string,
    exceptionId: string,
    requeuedAs: { datasetId: string; id: number },
    at: string,
  ): Promise<ItemException>;
  counts(jobId: string): Promise<Record<ExceptionStatus, number>>;
  deletePage(jobId: string, limit: number): Promise<number>;
  /**
   * Write exceptions of a committed attempt as OPEN, each only if it is not there yet: publishing again after
   * a crash never reopens an exception somebody resolved meanwhile.
   */
  putCommitted(
    jobId: string,
    runId: string,
    batchStart: number,
    exceptions: readonly NewException[],
    at: string,
  ): Promise<void>;
}

/** S3: inputs, manifests and outputs. */
export interface ObjectStore {
  put(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void>;
  get(bucket: string, key: string): Promise<Uint8Array | undefined>;
  head(bucket: string, key: string): Promise<{ size: number; etag?: string } | undefined>;
  list(bucket: string, prefix: string, page?: PageRequest): Promise<Page<{ key: string; size: number }>>;
  /** Delete up to 1,000 keys under a prefix; returns how many. */
  deletePrefixPage(bucket: string, prefix: string): Promise<number>;
  /** Delete one object; a missing one is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Create an object unless the key exists (atomic, S3's If-None-Match: *); false when it existed. */
  putIfAbsent(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<boolean>;
}

/** Resolves a secret's value at run time; only ever given an ARN. */
export interface SecretResolver {
  resolve(secretArn: string): Promise<string>;
}

/** Whether a run (a Step Functions execution) is still running: a reservation by a finished run is stale. */
export interface RunLiveness {
  isActive(jobId: string, runId: string): Promise<boolean>;
}
