import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../core/errors.ts';
import { collect } from '../seed-data.ts';
import { acquireInput, granted, INVENTORY, jobWithBatches, leaseOf, type MakeEnv } from './contract-env.ts';

/** Job `j` with batches 1-10 and 11-20 reserved for run-1, and `take(owner)` asking for batch 1 for 10 s. */
async function setup(makeEnv: MakeEnv, label: string) {
  const env = await makeEnv(label);
  await jobWithBatches(env, 2);
  const take = async (owner: string, start = 1) =>
    granted(await env.deps.leases.acquire(acquireInput(start, owner)));
  return { ...env, take };
}

const error = { name: 'TypeError', message: 'bad' };

/**
 * CommitStore and PublishStore: the fenced end of an attempt (token, owner, unexpired lease), one attempt record
 * per try, the staged exceptions a commit names. Runs on the fakes and on the DynamoDB adapters.
 */
export function describeCommitContract(name: string, makeEnv: MakeEnv): void {
  describe(`CommitStore on ${name}`, () => {
    describe('CommitStore.commit', () => {
      it('records the batch end, the attempt and the exceptions together, and releases lease and reservation', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-records');
        const a = await take('a');
        clock.advance(50);
        const exceptions = [{ itemId: 3, kind: 'bad-address', details: { line: 3 } }];

        await deps.commits.commit({
          ...leaseOf(a, 'a'),
          itemsSucceeded: 9,
          itemsExcepted: 1,
          outputKey: 'outputs/j/1-10.jsonl',
          diagnostics: { preflight: { ready: { ok: true, detail: 'all' } } },
          exceptions,
        });

        const batch = await deps.batches.getBatch('j', INVENTORY, 1);
        expect(batch).toMatchObject({
          status: 'SUCCEEDED',
          completedAt: new Date(clock.now()).toISOString(),
          completedRunId: 'run-1',
          configHash: 'hash-a',
          itemsSucceeded: 9,
          itemsExcepted: 1,
          outputKey: 'outputs/j/1-10.jsonl',
        });
        for (const gone of [
          'leaseOwner',
          'leaseRunId',
          'leaseExpiresAt',
          'reservedBy',
          'reservedUntil',
          'error',
        ])
          expect(batch, gone).not.toHaveProperty(gone);
        const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
        expect(attempt).toMatchObject({
          attempt: 1,
          outcome: 'SUCCEEDED',
          owner: 'a',
          token: 1,
          durationMs: 50,
          itemsSucceeded: 9,
          itemsExcepted: 1,
          diagnostics: { preflight: { ready: { ok: true, detail: 'all' } } },
        });
        const at = new Date(clock.now()).toISOString();
        expect((await deps.events.list('j', {})).items).toEqual([
          {
            eventId: 'j/B#1#1',
            type: 'BatchCommitted',
            jobId: 'j',
            runId: 'run-1',
            at,
            detail: {
              scope: 'inventory',
              start: 1,
              end: 10,
              configHash: 'hash-a',
              itemsSucceeded: 9,
              itemsExcepted: 1,
              outputKey: 'outputs/j/1-10.jsonl',
              token: 1,
              attempt: 1,
            },
          },
        ]);
        expect((await deps.events.pending('j', 10)).map((e) => e.eventId)).toEqual(['j/B#1#1']);
        const [x] = (await deps.exceptions.list('j', { status: 'OPEN' })).items;
        expect(x).toMatchObject({
          itemId: 3,
          runId: 'run-1',
          batchStart: 1,
          kind: 'bad-address',
          status: 'OPEN',
        });
      });

      it('refuses the old owner after a takeover, changing nothing, and leaves the new owner undisturbed', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-fenced');
        const a = await take('a');
        clock.advance(10_001);
        const b = await take('b');
        const before = await deps.batches.getBatch('j', INVENTORY, 1);
        const stale = leaseOf(a, 'a');

        await expect(
          deps.commits.commit({
            ...stale,
            itemsSucceeded: 1,
            itemsExcepted: 1,
            exceptions: [{ itemId: 5, kind: 'k', details: {} }],
          }),
        ).rejects.toBeInstanceOf(LeaseLostError);
        const staged = { key: 'staging/j/inventory/x.1.jsonl' };
        await expect(
          deps.commits.commit({ ...stale, itemsSucceeded: 0, itemsExcepted: 120, exceptions: [], staged }),
        ).rejects.toBeInstanceOf(LeaseLostError);
        await expect(deps.commits.fail({ ...stale, error, outcome: 'FAILED' })).rejects.toBeInstanceOf(
          LeaseLostError,
        );

        expect(await deps.batches.getBatch('j', INVENTORY, 1)).toEqual(before);
        expect((await deps.exceptions.list('j', {})).items).toEqual([]);
        expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
        expect((await deps.events.list('j', {})).items, 'a refused commit tells nothing').toEqual([]);
        await deps.commits.commit({
          ...leaseOf(b, 'b'),
          itemsSucceeded: 10,
          itemsExcepted: 0,
          exceptions: [],
        });
        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('SUCCEEDED');
      });

      it('refuses a commit after the lease expired even when nobody took over, naming the operation', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-expired');
        const a = await take('a');
        clock.advance(10_001);

        const refused = await deps.commits
          .commit({ ...leaseOf(a, 'a'), itemsSucceeded: 1, itemsExcepted: 0, exceptions: [] })
          .catch((e) => e);

        expect(refused).toBeInstanceOf(LeaseLostError);
        expect(refused.context).toEqual({ jobId: 'j', batchStart: 1, token: 1, operation: 'commit' });
        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('RUNNING');
      });

      it('commits an attempt once: a second commit of the same lease is refused', async () => {
        const { take, deps } = await setup(makeEnv, 'commit-once');
        const a = await take('a');
        const commit = () =>
          deps.commits.commit({ ...leaseOf(a, 'a'), itemsSucceeded: 10, itemsExcepted: 0, exceptions: [] });

        await commit();

        await expect(commit()).rejects.toBeInstanceOf(LeaseLostError);
        expect(await collect(deps.attempts.list('j', INVENTORY, 1))).toHaveLength(1);
      });

      it('refuses more than 47 exceptions with a RangeError, writing nothing', async () => {
        const { take, deps } = await setup(makeEnv, 'commit-too-many');
        const a = await take('a');
        const many = Array.from({ length: 48 }, (_, i) => ({ itemId: i + 1, kind: 'k', details: {} }));

        await expect(
          deps.commits.commit({ ...leaseOf(a, 'a'), itemsSucceeded: 0, itemsExcepted: 48, exceptions: many }),
        ).rejects.toBeInstanceOf(RangeError);

        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('RUNNING');
        expect(await deps.exceptions.counts('j')).toEqual({
          OPEN: 0,
          RESOLVED: 0,
          REQUEUED: 0,
          SUPERSEDED: 0,
        });
      });

      it('drops an output key of an earlier commit when the commit names none', async () => {
        const { take, deps } = await setup(makeEnv, 'commit-drops-output');
        const a = await take('a');
        await deps.commits.commit({
          ...leaseOf(a, 'a'),
          itemsSucceeded: 10,
          itemsExcepted: 0,
          exceptions: [],
          outputKey: 'o',
        });
        const redo = granted(
          await deps.leases.acquire(acquireInput(1, 'b', { runId: 'run-2', policy: 'redo-unless-same-run' })),
        );

        await deps.commits.commit({
          ...leaseOf(redo, 'b', 'run-2'),
          itemsSucceeded: 0,
          itemsExcepted: 0,
          exceptions: [],
        });

        const batch = await deps.batches.getBatch('j', INVENTORY, 1);
        expect(batch).toMatchObject({ status: 'SUCCEEDED', completedRunId: 'run-2' });
        expect(batch).not.toHaveProperty('outputKey');
      });

      it('records the publish of staged exceptions with the commit, until it is finished', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-staged');
        const a = await take('a');
        const staged = { key: 'staging/j/inventory/0000000000000001.1.jsonl' };

        await deps.commits.commit({
          ...leaseOf(a, 'a'),
          itemsSucceeded: 0,
          itemsExcepted: 120,
          exceptions: [],
          staged,
        });

        const pending = await deps.publishes.pendingPublishes('j');
        const at = new Date(clock.now()).toISOString();
        expect(pending).toEqual([
          { jobId: 'j', scope: INVENTORY, start: 1, end: 10, runId: 'run-1', token: 1, at, key: staged.key },
        ]);
        await deps.publishes.finishPublish(pending[0] as (typeof pending)[number]);
        expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
      });

      it('records that the open exceptions it processed are to be superseded, with the commit', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-supersede');
        const a = await take('a');

        await deps.commits.commit({
          ...leaseOf(a, 'a'),
          itemsSucceeded: 10,
          itemsExcepted: 0,
          exceptions: [],
          supersede: true,
        });

        const at = new Date(clock.now()).toISOString();
        expect(await deps.publishes.pendingPublishes('j')).toEqual([
          { jobId: 'j', scope: INVENTORY, start: 1, end: 10, runId: 'run-1', token: 1, at, supersede: true },
        ]);
      });

      it('reopens the record of an item set aside again, keeping both occurrences', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'commit-reopen');
        const first = await take('a');
        const x = { itemId: 3, kind: 'bad-address', details: {} };
        await deps.commits.commit({
          ...leaseOf(first, 'a'),
          itemsSucceeded: 9,
          itemsExcepted: 1,
          exceptions: [x],
        });
        await deps.exceptions.decide('j', [{ exceptionId: '3', to: 'RESOLVED', note: 'seen' }], 'x');
        clock.advance(1000);
        const second = await take('b', 11);

        await deps.commits.commit({
          ...leaseOf(second, 'b'),
          itemsSucceeded: 9,
          itemsExcepted: 1,
          exceptions: [{ ...x, itemId: 3, kind: 'timeout' }],
        });

        expect(await deps.exceptions.get('j', '3')).toMatchObject({
          status: 'OPEN',
          kind: 'timeout',
          occurrences: 2,
          note: 'seen',
          lastOccurrence: `run-1#${'11'.padStart(16, '0')}#1`,
        });
        expect((await deps.exceptions.occurrences('j', '3')).map((o) => o.batchStart)).toEqual([1, 11]);
      });
    });

    describe('CommitStore.fail', () => {
      it('marks the batch FAILED with the error and releases the lease, the reservation kept', async () => {
        const { take, deps } = await setup(makeEnv, 'fail-marks');
        const a = await take('a');

        await deps.commits.fail({ ...leaseOf(a, 'a'), error, outcome: 'FAILED' });

        const batch = await deps.batches.getBatch('j', INVENTORY, 1);
        expect(batch).toMatchObject({ status: 'FAILED', error: 'TypeError: bad', reservedBy: 'run-1' });
        expect(batch).not.toHaveProperty('leaseOwner');
        const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
        expect(attempt).toMatchObject({ outcome: 'FAILED', error, itemsSucceeded: 0 });
      });

      it('releases a batch for a retry: the batch reads FAILED, the attempt RETRY', async () => {
        const { take, deps } = await setup(makeEnv, 'fail-retry');
        const a = await take('a');

        await deps.commits.fail({ ...leaseOf(a, 'a'), error, outcome: 'RETRY' });

        expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('FAILED');
        expect((await collect(deps.attempts.list('j', INVENTORY, 1))).map((h) => h.outcome)).toEqual([
          'RETRY',
        ]);
      });

      it('refuses a fail or a release once the lease is lost, naming the operation', async () => {
        const { take, clock, deps } = await setup(makeEnv, 'fail-fenced');
        const a = await take('a');
        clock.advance(10_001);

        const failed = await deps.commits
          .fail({ ...leaseOf(a, 'a'), error, outcome: 'FAILED' })
          .catch((e) => e);
        const released = await deps.commits
          .fail({ ...leaseOf(a, 'a'), error, outcome: 'RETRY' })
          .catch((e) => e);

        expect([failed.context.operation, released.context.operation]).toEqual(['fail', 'release for retry']);
        expect(failed).toBeInstanceOf(LeaseLostError);
        expect(await collect(deps.attempts.list('j', INVENTORY))).toEqual([]);
      });
    });
  });
}
