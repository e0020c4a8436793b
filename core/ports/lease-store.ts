import type { Attempt, Batch, BatchScope, ProducerBatchRef } from '../model.ts';

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
  | { outcome: 'BUSY'; batch: Batch }
  /** No record of the batch: the planner's business (a cut left to the workers), not the store's. */
  | { outcome: 'MISSING' };

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

/** What a worker asks to take a lease. */
export interface AcquireInput {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly owner: string;
  readonly runId: string;
  readonly leaseMs: number;
  readonly policy: AcquirePolicy;
}

/** A heartbeat: the batch, the lease it extends (token and owner), and by how much. */
export interface HeartbeatInput {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly token: number;
  readonly owner: string;
  readonly leaseMs: number;
}

/** A consumer's READY lock on a producer batch, as it was read (core/jobs/dependencies.ts). */
export interface ReadLockInput {
  readonly ref: ProducerBatchRef;
  /** The run that reserved the batch when it was read, if any: a lock is refused once another run reserves it. */
  readonly reservedBy?: string;
  /** Epoch ms until which the lock holds at most (the consumer's lease expiry). */
  readonly until: number;
}

/** A READY lock held: what releases it. */
export interface ReadLock {
  readonly jobId: string;
  readonly start: number;
  readonly epoch: number;
}

/** Leases with fencing tokens: one live owner per batch. */
export interface LeaseStore {
  /**
   * Take the lease when no live lease holds the batch and no consumer holds its READY lock; a dead owner's lease
   * is taken over.
   */
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** Extend the lease, fenced by the token. */
  heartbeat(input: HeartbeatInput): Promise<void>;
  /**
   * Take a READY lock on a producer batch still as it was read (SUCCEEDED, the same token, no live lease, no
   * move, no other reservation). Undefined when it changed.
   */
  lockRead(input: ReadLockInput): Promise<ReadLock | undefined>;
  /** Give a READY lock back; a lock that lapsed and was taken anew since is left alone. */
  releaseRead(lock: ReadLock): Promise<void>;
}

/** Whether consumers hold a READY lock on a batch at `now`. */
export const readLocked = (b: Batch, now: number): boolean =>
  (b.readers ?? 0) > 0 && (b.readUntil ?? 0) >= now;

/** The LEASE_EXPIRED attempt logged when a dead worker's lease, as it was read, is taken over. */
export function expiredAttemptOf(jobId: string, scope: BatchScope, dead: Batch, now: number): Attempt {
  const owner = dead.leaseOwner ?? '';
  const startedAt = dead.startedAt ?? new Date(now).toISOString();
  return {
    jobId,
    scope,
    start: dead.start,
    end: dead.end,
    attempt: dead.attempt,
    runId: dead.leaseRunId ?? '',
    owner,
    token: dead.token,
    startedAt,
    endedAt: new Date(now).toISOString(),
    outcome: 'LEASE_EXPIRED',
    configHash: dead.configHash ?? 'unknown',
    itemsSucceeded: 0,
    itemsExcepted: 0,
    durationMs: Math.max(0, now - Date.parse(startedAt)),
    error: { name: 'LeaseExpired', message: `lease of ${owner} expired before it committed` },
  };
}
