import type { Attempt } from '../model.ts';
import type { JobEvent } from './event-bus.ts';
import type { LeaseRef } from './lease-store.ts';
import type { ExceptionPublish, StagedExceptions } from './publish-store.ts';

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
  /**
   * Items of the range have OPEN exceptions from earlier attempts: the commit records that they are to be
   * closed as superseded once it is in (core/exceptions/exception-staging.ts), so a crash cannot skip it.
   */
  readonly supersede?: boolean;
  /** A consumer's: the digest of the producer batches it read (core/jobs/dependencies.ts). */
  readonly consumed?: string;
}

/**
 * Exceptions a commit transaction carries beside the batch, the attempt, a publish record and the commit's event
 * (two items): each is an occurrence and an update of the item's record (DynamoDB: 100 items per transaction).
 */
export const COMMIT_EXCEPTIONS_MAX = 47;

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

/** What a commit recorded beside the batch: its event, and the exceptions work it left for after it. */
export interface CommitRecorded {
  readonly event: JobEvent;
  readonly publish?: ExceptionPublish;
}

/** The fenced end of an attempt: only the current token's owner, before its lease expires. */
export interface CommitStore {
  /**
   * Records the attempt, the batch's end, its exceptions and its event, in one transaction. Returns what it
   * recorded for after the commit: the event to publish, and the exceptions work left (if any).
   */
  commit(input: CommitInput): Promise<CommitRecorded>;
  /** Fenced like commit. */
  fail(input: FailInput): Promise<void>;
}

/** The attempt a commit or a fail logs: what the lease held, and how it ended. */
export function attemptOf(
  l: CommitInput | FailInput,
  outcome: Attempt['outcome'],
  now: number,
  extra: Partial<Attempt>,
): Attempt {
  return {
    jobId: l.jobId,
    scope: l.scope,
    start: l.start,
    end: l.end,
    attempt: l.attempt,
    runId: l.runId,
    owner: l.owner,
    token: l.token,
    startedAt: new Date(l.startedAt).toISOString(),
    endedAt: new Date(now).toISOString(),
    outcome,
    configHash: l.configHash,
    itemsSucceeded: 0,
    itemsExcepted: 0,
    durationMs: now - l.startedAt,
    diagnostics: l.diagnostics,
    ...extra,
  };
}

/** The publish a commit records, if it has exceptions work left after its transaction. */
export function publishOf(c: CommitInput, at: string): ExceptionPublish | undefined {
  if (!c.staged && !c.supersede) return undefined;
  const { jobId, scope, start, end, runId, token } = c;
  return {
    jobId,
    scope,
    start,
    end,
    runId,
    token,
    at,
    ...(c.staged ? { key: c.staged.key } : {}),
    ...(c.supersede ? { supersede: true } : {}),
  };
}
