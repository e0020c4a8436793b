import type { Batch, BatchScope } from '../model.ts';

/** A new batch to create in one reservation. */
export interface NewBatch {
  readonly start: number;
  readonly end: number;
  readonly stride: number;
  readonly count: number;
  readonly weight: number;
}

/** Leaves batches under a lease live at `now` out of an open-batch query, telling `leased` how many it left. */
export interface LeaseFilter {
  readonly now: number;
  leased(n: number): void;
}

/** Batch records: reads, and the reservations a planner makes of existing ranges. */
export interface BatchStore {
  /** A live lease of the job, inventory or sample, if any. */
  findLiveLease(jobId: string): Promise<Batch | undefined>;

  getBatch(jobId: string, scope: BatchScope, start: number): Promise<Batch | undefined>;
  /** Batches of the inventory (or a sample scope) in id order, start >= from. */
  list(jobId: string, scope: BatchScope, from?: number, to?: number): AsyncIterable<Batch>;
  /**
   * Batches not yet SUCCEEDED, in id order (eventually consistent). With `free`, those under a lease live at
   * `free.now` are left out, and `free.leased` is told how many were.
   */
  openBatches(jobId: string, free?: LeaseFilter): AsyncIterable<Batch>;
  /** The inventory batch whose range contains id, if any. */
  batchContaining(jobId: string, id: number): Promise<Batch | undefined>;
  /** Create sample batches (apart from the inventory). Idempotent. */
  putSampleBatches(jobId: string, runId: string, batches: readonly NewBatch[], at: string): Promise<void>;
  /**
   * Reopen a consumer's SUCCEEDED batch whose producers redid its range (core/jobs/dependencies.ts): PENDING
   * again, with what changed in `staleFrom`, only while it is still as read (token, consumed digest) and under no
   * live lease. Returns whether it did.
   */
  reopenStale(
    jobId: string,
    batch: Pick<Batch, 'start' | 'token' | 'consumed'>,
    staleFrom: string,
    now: number,
  ): Promise<boolean>;
  /** Reserve an existing batch for a run unless it is under a live lease or a live reservation. */
  reserveExisting(
    jobId: string,
    start: number,
    runId: string,
    reservedUntil: number,
    now: number,
    staleRuns: readonly string[],
  ): Promise<boolean>;
}
