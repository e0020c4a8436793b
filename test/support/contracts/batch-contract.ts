import { describe, expect, it } from 'vitest';
import { collect } from '../seed-data.ts';
import {
  AT,
  acquireInput,
  granted,
  INVENTORY,
  jobWithBatches,
  leaseOf,
  type MakeEnv,
} from './contract-env.ts';

const MINUTE = 60_000;

/** Job `j` with `n` batches of 10 ids reserved for run-1 for a minute. */
async function setup(makeEnv: MakeEnv, label: string, n = 5) {
  const env = await makeEnv(label);
  await jobWithBatches(env, n, { reservedMs: MINUTE });
  const take = async (start: number, owner = 'w', leaseMs = 10_000) =>
    granted(await env.deps.leases.acquire(acquireInput(start, owner, { leaseMs })));
  return { ...env, take };
}

/**
 * BatchStore: reads in id order, the open-batch query and its lease filter, live leases, sample batches apart
 * from the inventory, and reservations refused under a live lease or another live run's reservation. Runs on
 * the fakes and on the DynamoDB adapter.
 */
export function describeBatchContract(name: string, makeEnv: MakeEnv): void {
  describe(`BatchStore on ${name}`, () => {
    describe('BatchStore reads', () => {
      it('lists batches in id order within bounds, and finds the one holding an id', async () => {
        const { deps } = await setup(makeEnv, 'batches-read');

        const starts = async (from?: number, to?: number) =>
          (await collect(deps.batches.list('j', INVENTORY, from, to))).map((b) => b.start);

        expect(await starts()).toEqual([1, 11, 21, 31, 41]);
        expect(await starts(11, 31)).toEqual([11, 21, 31]);
        expect((await deps.batches.batchContaining('j', 25))?.start).toBe(21);
        expect((await deps.batches.batchContaining('j', 50))?.start).toBe(41);
        expect(await deps.batches.batchContaining('j', 51)).toBeUndefined();
        expect(await deps.batches.getBatch('j', INVENTORY, 2)).toBeUndefined();
        expect(await collect(deps.batches.list('nope', INVENTORY))).toEqual([]);
      });

      it('lists open batches in id order, leaving out and counting those under a live lease', async () => {
        const { deps, take, clock } = await setup(makeEnv, 'batches-open');
        const done = await take(1);
        await deps.commits.commit({
          ...leaseOf(done, 'w'),
          itemsSucceeded: 10,
          itemsExcepted: 0,
          exceptions: [],
        });
        await take(11, 'w', 1_000);
        await take(21, 'w', 60_000);
        clock.advance(1_001);
        let leased = 0;

        const all = await collect(deps.batches.openBatches('j'));
        const free = await collect(
          deps.batches.openBatches('j', {
            now: clock.now(),
            leased: (n) => {
              leased += n;
            },
          }),
        );

        expect(all.map((b) => b.start)).toEqual([11, 21, 31, 41]);
        expect(free.map((b) => b.start)).toEqual([11, 31, 41]);
        expect(leased).toBe(1);
      });

      it('finds a live lease of the job, in the inventory or a sample, and none once they expired', async () => {
        const { deps, clock } = await setup(makeEnv, 'batches-live-lease', 2);
        expect(await deps.batches.findLiveLease('j')).toBeUndefined();
        const sample = { kind: 'sample' as const, runId: 'run-s' };
        await deps.batches.putSampleBatches(
          'j',
          'run-s',
          [{ start: 3, end: 9, stride: 3, count: 3, weight: 3 }],
          AT,
        );
        granted(
          await deps.leases.acquire(acquireInput(3, 'w', { scope: sample, runId: 'run-s', leaseMs: 1_000 })),
        );

        const inSample = await deps.batches.findLiveLease('j');
        clock.advance(1_001);

        expect(inSample).toMatchObject({ start: 3, scope: sample, leaseOwner: 'w' });
        expect(await deps.batches.findLiveLease('j')).toBeUndefined();
      });

      it('keeps sample batches apart from the inventory, and a second put leaves them as they are', async () => {
        const { deps } = await setup(makeEnv, 'batches-sample', 1);
        const sample = { kind: 'sample' as const, runId: 'run-s' };
        const batches = [
          { start: 1, end: 7, stride: 3, count: 3, weight: 3 },
          { start: 10, end: 10, stride: 3, count: 1, weight: 1 },
        ];
        await deps.batches.putSampleBatches('j', 'run-s', batches, AT);
        const g = granted(await deps.leases.acquire(acquireInput(1, 'w', { scope: sample, runId: 'run-s' })));

        await deps.batches.putSampleBatches('j', 'run-s', batches, '2030-01-01T00:00:00.000Z');

        const listed = await collect(deps.batches.list('j', sample));
        expect(listed.map((b) => [b.start, b.end, b.stride, b.status, b.plannedAt])).toEqual([
          [1, 7, 3, 'RUNNING', AT],
          [10, 10, 3, 'PENDING', AT],
        ]);
        expect(listed[0]?.token).toBe(g.token);
        expect(listed[1]).not.toHaveProperty('reservedBy');
        expect((await collect(deps.batches.list('j', INVENTORY))).map((b) => b.start)).toEqual([1]);
        expect((await collect(deps.batches.openBatches('j'))).map((b) => b.scope.kind)).toEqual([
          'inventory',
        ]);
      });
    });

    describe('BatchStore.reserveExisting', () => {
      it('reserves a batch for the run that holds it, or one whose reservation lapsed', async () => {
        const { deps, clock } = await setup(makeEnv, 'reserve-own');
        const now = clock.now();

        const own = await deps.batches.reserveExisting('j', 1, 'run-1', now + 5 * MINUTE, now, []);
        const other = await deps.batches.reserveExisting('j', 11, 'run-2', now + 5 * MINUTE, now, []);
        clock.advance(MINUTE + 1);
        const lapsed = await deps.batches.reserveExisting(
          'j',
          11,
          'run-2',
          clock.now() + MINUTE,
          clock.now(),
          [],
        );

        expect([own, other, lapsed]).toEqual([true, false, true]);
        expect(await deps.batches.getBatch('j', INVENTORY, 1)).toMatchObject({
          reservedBy: 'run-1',
          reservedUntil: now + 5 * MINUTE,
        });
        expect((await deps.batches.getBatch('j', INVENTORY, 11))?.reservedBy).toBe('run-2');
      });

      it("overrides another run's live reservation only when that run is named stale", async () => {
        const { deps, clock } = await setup(makeEnv, 'reserve-stale');
        const now = clock.now();

        expect(await deps.batches.reserveExisting('j', 1, 'run-2', now + MINUTE, now, ['run-9'])).toBe(false);
        expect(
          await deps.batches.reserveExisting('j', 1, 'run-2', now + MINUTE, now, ['run-9', 'run-1']),
        ).toBe(true);
        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.reservedBy).toBe('run-2');
      });

      it('refuses a batch under a live lease, and a batch that does not exist', async () => {
        const { deps, take, clock } = await setup(makeEnv, 'reserve-leased');
        await take(1, 'w', 1_000);
        const now = clock.now();

        const leased = await deps.batches.reserveExisting('j', 1, 'run-1', now + MINUTE, now, []);
        const missing = await deps.batches.reserveExisting('j', 2, 'run-1', now + MINUTE, now, []);
        clock.advance(1_001);
        const expired = await deps.batches.reserveExisting(
          'j',
          1,
          'run-1',
          clock.now() + MINUTE,
          clock.now(),
          [],
        );

        expect([leased, missing, expired]).toEqual([false, false, true]);
        expect(await deps.batches.getBatch('j', INVENTORY, 2)).toBeUndefined();
      });

      it('finds a committed batch no longer reserved', async () => {
        const { deps, take } = await setup(makeEnv, 'reserve-committed');
        const g = await take(1);

        await deps.commits.commit({
          ...leaseOf(g, 'w'),
          itemsSucceeded: 10,
          itemsExcepted: 0,
          exceptions: [],
        });

        const batch = await deps.batches.getBatch('j', INVENTORY, 1);
        expect(batch).not.toHaveProperty('reservedBy');
        expect(batch).not.toHaveProperty('reservedUntil');
      });
    });
  });
}
