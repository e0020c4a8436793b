import { LeaseLostError } from '../../../core/errors.ts';
import type { Batch } from '../../../core/model.ts';
import {
  type AcquireInput,
  type AcquirePolicy,
  type AcquireResult,
  expiredAttemptOf,
  type HeartbeatInput,
  type LeaseStore,
  type ReadLock,
  type ReadLockInput,
  readLocked,
} from '../../../core/ports/index.ts';
import {
  batchOf,
  type FakeContext,
  fenced,
  hasAttempt,
  leaseLive,
  putAttempt,
  putBatch,
} from './fake-records.ts';
import { copy, iso } from './fake-table.ts';

/** Whether the policy lets the batch be taken again (POLICY_CLAUSE in dynamo-lease-records.ts). */
const POLICY: Record<AcquirePolicy, (b: Batch, runId: string) => boolean> = {
  'skip-succeeded': (b) => b.status !== 'SUCCEEDED',
  'redo-unless-same-run': (b, runId) => !(b.status === 'SUCCEEDED' && b.completedRunId === runId),
};

const INVENTORY = { kind: 'inventory' } as const;

/** Races lost to other workers taking over the same dead lease before acquire answers BUSY. */
const TAKEOVER_TRIES = 3;

/** The lease granted: the token and the attempt number grow by one. */
const granted = (b: Batch, input: AcquireInput, now: number): Batch => ({
  ...b,
  status: 'RUNNING',
  leaseOwner: input.owner,
  leaseRunId: input.runId,
  leaseExpiresAt: now + input.leaseMs,
  startedAt: iso(now),
  token: b.token + 1,
  attempt: b.attempt + 1,
});

/** A fenced write that found the token or the lease changed. */
export const leaseLost = (l: { jobId: string; start: number; token: number }, operation: string) =>
  new LeaseLostError({ jobId: l.jobId, batchStart: l.start, token: l.token, operation });

/**
 * LeaseStore in memory, with DynamoLeaseStore's rules: a lease is granted only when no lease is live, the batch
 * is not RUNNING, no output move is pending and the policy allows; a RUNNING batch whose lease is dead is taken
 * over together with its dead attempt's LEASE_EXPIRED record, or not at all; a heartbeat is fenced.
 */
export class FakeLeaseStore implements LeaseStore {
  constructor(private readonly ctx: FakeContext) {}

  async acquire(input: AcquireInput): Promise<AcquireResult> {
    for (let tries = 1; ; tries++) {
      const now = this.ctx.clock.now();
      const b = batchOf(this.ctx.tables, input.jobId, input.scope, input.start);
      if (!b) return { outcome: 'MISSING' };
      const free =
        !leaseLive(b, now) && b.status !== 'RUNNING' && b.moveFrom === undefined && !readLocked(b, now);
      if (free && POLICY[input.policy](b, input.runId)) {
        const batch = granted(b, input, now);
        putBatch(this.ctx.tables, batch);
        return {
          outcome: 'ACQUIRED',
          token: batch.token,
          attempt: batch.attempt,
          startedAt: now,
          batch: copy(batch),
        };
      }
      if (leaseLive(b, now) || b.moveFrom !== undefined || readLocked(b, now))
        return { outcome: 'BUSY', batch: copy(b) };
      if (b.status !== 'RUNNING') return { outcome: 'ALREADY_DONE', batch: copy(b) };
      const taken = this.#takeOver(input, b, now);
      if (taken) return taken;
      if (tries >= TAKEOVER_TRIES) return { outcome: 'BUSY', batch: copy(b) };
    }
  }

  async heartbeat(input: HeartbeatInput): Promise<void> {
    const now = this.ctx.clock.now();
    const b = batchOf(this.ctx.tables, input.jobId, input.scope, input.start);
    if (!fenced(b, input, now)) throw leaseLost(input, 'heartbeat');
    putBatch(this.ctx.tables, { ...b, leaseExpiresAt: now + input.leaseMs });
  }

  async lockRead(input: ReadLockInput): Promise<ReadLock | undefined> {
    const now = this.ctx.clock.now();
    const { ref } = input;
    const b = batchOf(this.ctx.tables, ref.jobId, INVENTORY, ref.start);
    const unchanged =
      b !== undefined &&
      b.status === 'SUCCEEDED' &&
      b.token === ref.token &&
      b.moveFrom === undefined &&
      !leaseLive(b, now) &&
      (b.reservedBy === undefined || b.reservedBy === input.reservedBy || (b.reservedUntil ?? 0) < now);
    if (!unchanged) return undefined;
    const lapsed = (b.readUntil ?? 0) < now || (b.readers ?? 0) <= 0;
    const epoch = lapsed ? (b.readEpoch ?? 0) + 1 : (b.readEpoch ?? 0);
    putBatch(this.ctx.tables, {
      ...b,
      readers: lapsed ? 1 : (b.readers ?? 0) + 1,
      readUntil: Math.max(input.until, lapsed ? 0 : (b.readUntil ?? 0)),
      readEpoch: epoch,
    });
    return { jobId: ref.jobId, start: ref.start, epoch };
  }

  async releaseRead(lock: ReadLock): Promise<void> {
    const b = batchOf(this.ctx.tables, lock.jobId, INVENTORY, lock.start);
    if (!b || b.readEpoch !== lock.epoch || (b.readers ?? 0) <= 0) return;
    putBatch(this.ctx.tables, { ...b, readers: (b.readers ?? 0) - 1 });
  }

  /** The dead worker's batch as it was read, and its attempt's record, together; undefined when refused. */
  #takeOver(input: AcquireInput, dead: Batch, now: number): AcquireResult | undefined {
    const t = this.ctx.tables;
    const stored = batchOf(t, input.jobId, input.scope, input.start);
    const same =
      stored?.token === dead.token &&
      stored.status === 'RUNNING' &&
      stored.moveFrom === undefined &&
      !leaseLive(stored, now);
    const ref = {
      jobId: input.jobId,
      scope: input.scope,
      start: dead.start,
      end: dead.end,
      attempt: dead.attempt,
    };
    if (!same || hasAttempt(t, ref)) return undefined;
    putAttempt(t, expiredAttemptOf(input.jobId, input.scope, dead, now));
    const batch = granted(stored, input, now);
    putBatch(t, batch);
    return {
      outcome: 'ACQUIRED',
      token: batch.token,
      attempt: batch.attempt,
      startedAt: now,
      batch: copy(batch),
      tookOverFrom: dead.leaseOwner ?? '',
    };
  }
}
