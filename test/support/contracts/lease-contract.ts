import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../core/errors.ts';
import { collect } from '../seed-data.ts';
import {
  acquireInput,
  type ContractEnv,
  granted,
  INVENTORY,
  jobWithBatches,
  leaseOf,
  type MakeEnv,
} from './contract-env.ts';

/** Job `j` with batches 1-10, 11-20 and 21-30, and `take(owner)` asking for batch 1 with a 10 s lease. */
async function setup(makeEnv: MakeEnv, label: string) {
  const env = await makeEnv(label);
  await jobWithBatches(env, 3);
  const take = (owner: string, o: Parameters<typeof acquireInput>[2] = {}) =>
    env.deps.leases.acquire(acquireInput(1, owner, o));
  return { ...env, take };
}

const commitAll = (env: ContractEnv, g: Parameters<typeof leaseOf>[0], owner: string, runId = 'run-1') =>
  env.deps.commits.commit({
    ...leaseOf(g, owner, runId),
    itemsSucceeded: 10,
    itemsExcepted: 0,
    exceptions: [],
  });

/**
 * LeaseStore: mutual exclusion of live leases, fencing tokens, takeover of a dead lease, the acquire policies.
 * Runs on the fakes (test/unit/ports) and on the DynamoDB adapter (test/local/ports).
 */
export function describeLeaseContract(name: string, makeEnv: MakeEnv): void {
  describe(`LeaseStore on ${name}`, () => {
    describe('LeaseStore.acquire', () => {
      it('grants a batch never leased with token 1 and attempt 1, RUNNING under the owner', async () => {
        const { take, clock } = await setup(makeEnv, 'lease-first');

        const g = granted(await take('a'));

        expect([g.token, g.attempt, g.startedAt, g.tookOverFrom]).toEqual([1, 1, clock.now(), undefined]);
        expect(g.batch).toMatchObject({
          start: 1,
          end: 10,
          status: 'RUNNING',
          leaseOwner: 'a',
          leaseRunId: 'run-1',
          leaseExpiresAt: clock.now() + 10_000,
          startedAt: new Date(clock.now()).toISOString(),
          token: 1,
          attempt: 1,
        });
      });

      it('refuses a second owner while the lease is live', async () => {
        const { take } = await setup(makeEnv, 'lease-exclusive');
        granted(await take('a'));

        const second = await take('b');

        expect(second.outcome).toBe('BUSY');
        expect(second.outcome === 'BUSY' && second.batch.leaseOwner).toBe('a');
      });

      it('holds the lease up to and including its expiry instant', async () => {
        const { take, clock } = await setup(makeEnv, 'lease-expiry-instant');
        granted(await take('a'));

        clock.advance(10_000);
        const atExpiry = await take('b');
        clock.advance(1);
        const after = await take('b');

        expect(atExpiry.outcome).toBe('BUSY');
        expect(granted(after).tookOverFrom).toBe('a');
      });

      it('lets a new owner take over an expired lease with a larger token, and logs the dead attempt', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'lease-takeover');
        const a = granted(await take('a'));
        clock.advance(10_001);

        const b = granted(await take('b'));

        expect([b.token, b.attempt, b.tookOverFrom]).toEqual([a.token + 1, 2, 'a']);
        expect(b.batch).toMatchObject({ status: 'RUNNING', leaseOwner: 'b', token: 2, attempt: 2 });
        const history = await collect(deps.attempts.list('j', INVENTORY, 1));
        expect(history).toEqual([
          expect.objectContaining({
            attempt: 1,
            outcome: 'LEASE_EXPIRED',
            owner: 'a',
            runId: 'run-1',
            token: 1,
            configHash: 'unknown',
            itemsSucceeded: 0,
            durationMs: 10_001,
            error: { name: 'LeaseExpired', message: 'lease of a expired before it committed' },
          }),
        ]);
      });

      it('answers MISSING for a batch that has no record', async () => {
        const { deps } = await setup(makeEnv, 'lease-missing');

        expect(await deps.leases.acquire(acquireInput(500, 'a'))).toEqual({ outcome: 'MISSING' });
        expect(await deps.leases.acquire(acquireInput(1, 'a', { jobId: 'nope' }))).toEqual({
          outcome: 'MISSING',
        });
      });

      it('skips a SUCCEEDED batch under skip-succeeded', async () => {
        const env = await setup(makeEnv, 'lease-skip-done');
        await commitAll(env, granted(await env.take('a')), 'a');

        const again = await env.take('b');

        expect(again.outcome).toBe('ALREADY_DONE');
        expect(again.outcome === 'ALREADY_DONE' && again.batch.status).toBe('SUCCEEDED');
      });

      it('redoes a SUCCEEDED batch for another run under redo-unless-same-run, never for the run that did it', async () => {
        const env = await setup(makeEnv, 'lease-redo');
        await commitAll(env, granted(await env.take('a')), 'a');
        const redo = (runId: string) => env.take('c', { runId, policy: 'redo-unless-same-run' });

        const sameRun = await redo('run-1');
        const otherRun = await redo('run-2');

        expect(sameRun.outcome).toBe('ALREADY_DONE');
        const redone = granted(otherRun);
        expect([redone.token, redone.attempt, redone.tookOverFrom]).toEqual([2, 2, undefined]);
      });

      it('takes a FAILED batch again, and one released for a retry, with no takeover logged', async () => {
        const env = await setup(makeEnv, 'lease-after-fail');
        const error = { name: 'E', message: 'm' };
        const a = granted(await env.take('a'));
        await env.deps.commits.fail({ ...leaseOf(a, 'a'), error, outcome: 'RETRY' });
        const b = granted(await env.take('b'));
        await env.deps.commits.fail({ ...leaseOf(b, 'b'), error, outcome: 'FAILED' });

        const c = granted(await env.take('c'));

        expect([b.attempt, c.attempt, b.tookOverFrom, c.tookOverFrom]).toEqual([2, 3, undefined, undefined]);
        const outcomes = (await collect(env.deps.attempts.list('j', INVENTORY, 1))).map((h) => h.outcome);
        expect(outcomes).toEqual(['RETRY', 'FAILED']);
      });

      it('grants one lease when 8 owners race for a batch', async () => {
        const { take } = await setup(makeEnv, 'lease-race');

        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(`w${i}`)));

        expect(results.filter((r) => r.outcome === 'ACQUIRED')).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'BUSY')).toHaveLength(7);
      });

      it('grants one takeover and logs the dead attempt once when 8 owners race for a dead lease', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'lease-takeover-race');
        granted(await take('dead'));
        clock.advance(10_001);

        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(`w${i}`)));

        const winners = results.filter((r) => r.outcome === 'ACQUIRED');
        expect(winners.map((w) => w.outcome === 'ACQUIRED' && w.tookOverFrom)).toEqual(['dead']);
        expect(results.filter((r) => r.outcome === 'BUSY')).toHaveLength(7);
        const history = await collect(deps.attempts.list('j', INVENTORY, 1));
        expect(history.map((h) => [h.attempt, h.outcome, h.owner])).toEqual([[1, 'LEASE_EXPIRED', 'dead']]);
      });
    });

    describe('LeaseStore.heartbeat', () => {
      it('extends a live lease from the time of the heartbeat', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'heartbeat-extends');
        const a = granted(await take('a'));
        clock.advance(8_000);

        await deps.leases.heartbeat({ ...leaseOf(a, 'a'), leaseMs: 10_000 });
        clock.advance(8_000);

        expect((await take('b')).outcome).toBe('BUSY');
        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.leaseExpiresAt).toBe(clock.now() + 2_000);
      });

      it('refuses a heartbeat once the lease expired, with LeaseLostError', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'heartbeat-expired');
        const a = granted(await take('a'));
        clock.advance(10_001);

        const error = await deps.leases.heartbeat({ ...leaseOf(a, 'a'), leaseMs: 10_000 }).catch((e) => e);

        expect(error).toBeInstanceOf(LeaseLostError);
        expect(error.context).toEqual({ jobId: 'j', batchStart: 1, token: 1, operation: 'heartbeat' });
      });

      it('refuses another owner or a stale token, changing nothing', async () => {
        const { take, deps } = await setup(makeEnv, 'heartbeat-fenced');
        const a = granted(await take('a'));
        const before = await deps.batches.getBatch('j', INVENTORY, 1);

        await expect(deps.leases.heartbeat({ ...leaseOf(a, 'x'), leaseMs: 60_000 })).rejects.toBeInstanceOf(
          LeaseLostError,
        );
        await expect(
          deps.leases.heartbeat({ ...leaseOf(a, 'a'), token: a.token - 1, leaseMs: 60_000 }),
        ).rejects.toBeInstanceOf(LeaseLostError);
        await expect(
          deps.leases.heartbeat({ ...leaseOf(a, 'a'), start: 500, leaseMs: 60_000 }),
        ).rejects.toBeInstanceOf(LeaseLostError);

        expect(await deps.batches.getBatch('j', INVENTORY, 1)).toEqual(before);
      });
    });

    describe('LeaseStore READY lock (lockRead, releaseRead)', () => {
      /** Batch 1 committed by `a`, and a reference to it as a consumer reads it. */
      async function committed(label: string) {
        const env = await setup(makeEnv, label);
        await commitAll(env, granted(await env.take('a')), 'a');
        const b = await env.deps.batches.getBatch('j', INVENTORY, 1);
        const ref = {
          jobId: 'j',
          start: 1,
          end: 10,
          token: b?.token ?? 0,
          completedAt: b?.completedAt ?? '',
        };
        return { ...env, ref };
      }
      const redo = (env: ContractEnv, owner: string, runId = 'redo') =>
        env.deps.leases.acquire(acquireInput(1, owner, { runId, policy: 'redo-unless-same-run' }));

      it('keeps the producer off a locked batch until every reader gave it back', async () => {
        const env = await committed('lock-readers');
        const until = env.clock.now() + 60_000;
        const first = await env.deps.leases.lockRead({ ref: env.ref, until });
        const second = await env.deps.leases.lockRead({ ref: env.ref, until: until + 1 });
        expect(first && second && first.epoch === second.epoch).toBe(true);
        expect((await redo(env, 'p1')).outcome).toBe('BUSY');
        await env.deps.leases.releaseRead(first as NonNullable<typeof first>);
        expect((await redo(env, 'p2')).outcome).toBe('BUSY');
        await env.deps.leases.releaseRead(second as NonNullable<typeof second>);
        expect(granted(await redo(env, 'p3')).token).toBe(env.ref.token + 1);
      });

      it('lets the producer in once the lock lapsed, and refuses a lock on a batch changed since it was read', async () => {
        const env = await committed('lock-lapse');
        await env.deps.leases.lockRead({ ref: env.ref, until: env.clock.now() + 5_000 });
        env.clock.advance(5_001);
        granted(await redo(env, 'p'));
        // Leased, then redone: the old reference is refused either way.
        expect(
          await env.deps.leases.lockRead({ ref: env.ref, until: env.clock.now() + 60_000 }),
        ).toBeUndefined();
      });

      it('a lapsed reader giving back late leaves a newer reader holding the lock', async () => {
        const env = await committed('lock-epoch');
        const old = await env.deps.leases.lockRead({ ref: env.ref, until: env.clock.now() + 1_000 });
        env.clock.advance(1_001);
        const fresh = await env.deps.leases.lockRead({ ref: env.ref, until: env.clock.now() + 60_000 });
        expect(fresh?.epoch).toBe((old?.epoch ?? 0) + 1);
        await env.deps.leases.releaseRead(old as NonNullable<typeof old>);
        expect((await redo(env, 'p')).outcome).toBe('BUSY');
        expect((await env.deps.batches.getBatch('j', INVENTORY, 1))?.readers).toBe(1);
      });

      it('refuses a lock on a batch another run has reserved since it was read', async () => {
        const env = await committed('lock-reserved');
        const now = env.clock.now();
        expect(await env.deps.batches.reserveExisting('j', 1, 'backfill-1', now + 60_000, now, [])).toBe(
          true,
        );
        expect(await env.deps.leases.lockRead({ ref: env.ref, until: now + 60_000 })).toBeUndefined();
        // Read while reserved by that (dead) run: the lock is taken.
        const lock = await env.deps.leases.lockRead({
          ref: env.ref,
          reservedBy: 'backfill-1',
          until: now + 60_000,
        });
        expect(lock).toBeDefined();
      });

      it('grants every one of 8 readers locking at once, and the producer waits for all', async () => {
        const env = await committed('lock-race');
        const until = env.clock.now() + 60_000;
        const locks = await Promise.all(
          Array.from({ length: 8 }, (_, k) => env.deps.leases.lockRead({ ref: env.ref, until: until + k })),
        );
        const held = locks.filter((l) => l !== undefined);
        expect(held).toHaveLength(8);
        const b = await env.deps.batches.getBatch('j', INVENTORY, 1);
        expect(b?.readers).toBe(held.length);
        for (const l of held) await env.deps.leases.releaseRead(l);
        expect((await env.deps.batches.getBatch('j', INVENTORY, 1))?.readers).toBe(0);
        granted(await redo(env, 'p'));
      });
    });
  });
}
