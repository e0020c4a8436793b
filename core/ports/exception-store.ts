import type { BatchScope, ExceptionOccurrence, ExceptionStatus, ItemException } from '../model.ts';
import type { NewException } from './commit-store.ts';
import type { Page, PageRequest } from './common.ts';

/** The attempt an occurrence comes from: the lease that set the items aside. */
export interface OccurrenceRef {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly runId: string;
  readonly start: number;
  readonly token: number;
}

/** Which exceptions a listing reads: the job's queue (one status, or all) or a sample run's; an id range. */
export interface ExceptionQuery {
  readonly status?: ExceptionStatus;
  /** A sample run's exceptions instead of the job's queue. */
  readonly sampleRunId?: string;
  /** Item ids, inclusive. */
  readonly from?: number;
  readonly to?: number;
}

/** A reviewer's decision on one open exception. */
export type Decision =
  | { readonly exceptionId: string; readonly to: 'RESOLVED'; readonly note: string }
  | {
      readonly exceptionId: string;
      readonly to: 'REQUEUED';
      readonly requeuedAs: { datasetId: string; id: number };
      readonly note?: string;
    };

/** What a set of decisions did: the exceptions moved, and those another review (or a new occurrence) took first. */
export interface DecisionOutcome {
  /** Ids of the exceptions this call moved. */
  readonly moved: string[];
  /** Not OPEN any more, or not at the occurrence the reviewer saw: left as they are. */
  readonly taken: { exceptionId: string; status: ExceptionStatus | 'MISSING' }[];
}

/**
 * Items set aside, one record per (job, item) with each occurrence kept apart. Records reach the store through
 * the commit transaction (core/ports/commit-store.ts) or, for a batch with many, through putCommitted; reviews
 * move them out of OPEN once.
 */
export interface ExceptionStore {
  get(jobId: string, exceptionId: string): Promise<ItemException | undefined>;
  /** In item id order. */
  list(jobId: string, query: ExceptionQuery, page?: PageRequest): Promise<Page<ItemException>>;
  /** The occurrences of one exception, oldest first. */
  occurrences(jobId: string, exceptionId: string): Promise<ExceptionOccurrence[]>;
  /**
   * Apply decisions, each only while its exception is OPEN and (when `seen` names it) still at the occurrence
   * the reviewer saw: a record that moved meanwhile is reported as taken, never rewritten. A requeue counts
   * in `requeues`. Written in batches.
   */
  decide(
    jobId: string,
    decisions: readonly (Decision & { seen?: string })[],
    at: string,
  ): Promise<DecisionOutcome>;
  /** How many of the job's exceptions are in each status (its queue; not samples). */
  counts(jobId: string): Promise<Record<ExceptionStatus, number>>;
  /** Whether any item in [start, end] of the job's queue has an OPEN exception (consistent read). */
  hasOpen(jobId: string, start: number, end: number): Promise<boolean>;
  /**
   * Close as SUPERSEDED the OPEN exceptions of [start, end] that the committed attempt `by` processed: those
   * whose latest occurrence is not that attempt's and was seen no later than `at`. Returns how many closed.
   */
  supersede(by: OccurrenceRef, end: number, at: string): Promise<number>;
  /** Delete up to `limit` exception records and occurrences of the job; returns how many went. */
  deletePage(jobId: string, limit: number): Promise<number>;
  /**
   * Record the occurrences of a committed attempt (staged exceptions, published after the commit). Each
   * occurrence is written once: publishing again after a crash changes nothing, and an occurrence older than
   * what the record holds is kept in the history without reopening the record.
   */
  putCommitted(ref: OccurrenceRef, exceptions: readonly NewException[], at: string): Promise<void>;
}
