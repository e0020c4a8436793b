import type { Batch } from '../model.ts';
import type { NewBatch } from './batch-store.ts';
import type { TimeWindow } from './job-store.ts';

/** A split as the job's history keeps it: batch `from` replaced at `at` by `parts`. */
export interface SplitRecord {
  readonly jobId: string;
  readonly at: string;
  readonly from: { readonly start: number; readonly end: number };
  readonly parts: readonly (readonly [number, number])[];
}

/** A split of one batch, asked by a planner; see SplitStore.splitBatch. */
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

/** Splits of a batch at a backfill's bounds, and the move of its output object into the parts'. */
export interface SplitStore {
  /**
   * Replace one batch by consecutive parts that tile it (backfill bounds inside a batch), reserved for the
   * splitting run, and record the move of the batch's output object into the parts' own (`OutputMove`).
   * Refused (false) when the batch changed since it was read, is leased, or is reserved by another live run.
   */
  splitBatch(split: SplitRequest): Promise<boolean>;
  /**
   * Splits of the job's batches in time order (the key starts with the instant), within `window`, read page by
   * page: a caller that stops iterating reads no further page.
   */
  listSplits(jobId: string, window?: TimeWindow): AsyncIterable<SplitRecord>;
  /** Output moves of split batches not yet finished, oldest range first. */
  pendingMoves(jobId: string): Promise<OutputMove[]>;
  /** Step 2 of a move: every part names its own output object and its counts. No-op once recorded. */
  recordMovedOutputs(
    move: OutputMove,
    outputs: readonly { outputKey: string; itemsSucceeded: number }[],
  ): Promise<void>;
  /** Step 4 of a move: the parts are released and the move record removed. No-op once finished. */
  finishMove(move: OutputMove): Promise<void>;
}
