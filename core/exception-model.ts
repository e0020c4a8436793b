/**
 * Where an exception stands. OPEN waits for review; RESOLVED and REQUEUED are a reviewer's decisions; SUPERSEDED
 * closed it because a later attempt processed the item. The one list of statuses: everything else reads it here.
 */
export const EXCEPTION_STATUSES = ['OPEN', 'RESOLVED', 'REQUEUED', 'SUPERSEDED'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

/**
 * An item set aside: one record per (job, item) in the job's review queue, or per (sample run, item) for a
 * sample, which stays apart from the queue. Its fields describe the latest occurrence; each occurrence is kept
 * too (`ExceptionOccurrence`). A later occurrence reopens a closed record; the review fields then tell the
 * previous decision.
 */
export interface ItemException {
  readonly jobId: string;
  /** The item id, zero-padded to 16 digits; `S#<runId>#<item id>` for a sample run's exception. */
  readonly exceptionId: string;
  readonly itemId: number;
  /** Set for a sample run's exception: the run. */
  readonly sampleRunId?: string;
  /** The run, batch and kind of the latest occurrence. */
  readonly runId: string;
  readonly batchStart: number;
  readonly kind: string;
  readonly details: Record<string, unknown>;
  readonly status: ExceptionStatus;
  /** First occurrence. */
  readonly createdAt: string;
  /** Latest occurrence, or the commit that superseded it. */
  readonly lastSeenAt: string;
  /** How many attempts set the item aside. */
  readonly occurrences: number;
  /** `<runId>#<batch start>#<token>` of the latest occurrence. */
  readonly lastOccurrence: string;
  /** How many times the item was fed back: a requeue registers it once per count. */
  readonly requeues: number;
  /** Of the latest review. */
  readonly note?: string;
  readonly resolvedAt?: string;
  readonly requeuedAs?: { datasetId: string; id: number };
  /** The commit that processed the item after it was set aside. */
  readonly supersededBy?: { runId: string; at: string };
}

/** One attempt that set an item aside: kept apart from the record, which holds the latest. */
export interface ExceptionOccurrence {
  readonly jobId: string;
  readonly itemId: number;
  readonly runId: string;
  readonly batchStart: number;
  readonly token: number;
  readonly kind: string;
  readonly details: Record<string, unknown>;
  readonly at: string;
}
