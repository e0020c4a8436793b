import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../core/model.ts';
import type { NewBatch, OutputMove, SplitRequest } from '../../../core/ports/index.ts';
import { collect } from '../seed-data.ts';
import {
  AT,
  acquireInput,
  type ContractEnv,
  granted,
  INVENTORY,
  jobWithBatches,
  leaseOf,
  type MakeEnv,
} from './contract-env.ts';

const MINUTE = 60_000;
const part = (start: number, end: number): NewBatch => ({
  start,
  end,
  stride: 1,
  count: end - start + 1,
  weight: end - start + 1,
});

/** Job `j` with batches 1-10, 11-20 (SUCCEEDED by run-1, output `outputs/11-20`) and 21-30, reserved by run-1. */
async function setup(makeEnv: MakeEnv, label: string) {
  const env = await makeEnv(label);
  await jobWithBatches(env, 3, { reservedMs: MINUTE });
  const g = granted(await env.deps.leases.acquire(acquireInput(11, 'w')));
  await env.deps.commits.commit({
    ...leaseOf(g, 'w'),
    itemsSucceeded: 10,
    itemsExcepted: 0,
    exceptions: [],
    outputKey: 'outputs/11-20',
  });
  return env;
}

const read = async (e: ContractEnv, start: number) =>
  (await e.deps.batches.getBatch('j', INVENTORY, start)) as Batch;

/** A split of `batch` by run-2 into `parts`, as a backfill's planner asks it. */
const splitOf = (
  e: ContractEnv,
  batch: Batch,
  parts: NewBatch[],
  extra: Partial<SplitRequest> = {},
): SplitRequest => ({
  jobId: 'j',
  batch,
  parts,
  at: AT,
  outputKey: `outputs/${batch.start}-${batch.end}`,
  runId: 'run-2',
  reservedUntil: e.clock.now() + MINUTE,
  now: e.clock.now(),
  staleRuns: [],
  ...extra,
});

const snapshot = async (e: ContractEnv) => ({
  batches: await collect(e.deps.batches.list('j', INVENTORY)),
  moves: await e.deps.splits.pendingMoves('j'),
});

/**
 * SplitStore: a batch replaced by parts that tile it, refused when it changed since it was read, is leased or is
 * reserved by another live run; the parts held (no lease, reservation or split) until the move of the output
 * object is finished. Runs on the fakes and on the DynamoDB adapter.
 */
export function describeSplitContract(name: string, makeEnv: MakeEnv): void {
  describe(`SplitStore on ${name}`, () => {
    describe('SplitStore.splitBatch', () => {
      it('replaces a SUCCEEDED batch by parts that keep its status, marked with the move, and records the move', async () => {
        const e = await setup(makeEnv, 'split-succeeded');

        expect(
          await e.deps.splits.splitBatch(splitOf(e, await read(e, 11), [part(11, 14), part(15, 20)])),
        ).toBe(true);

        const marks = { splitFrom: '11-20', moveFrom: 'outputs/11-20', reservedBy: 'run-2' };
        const done = {
          status: 'SUCCEEDED',
          completedRunId: 'run-1',
          configHash: 'hash-a',
          token: 1,
          attempt: 1,
        };
        const [first, second] = [await read(e, 11), await read(e, 15)];
        expect(first).toMatchObject({ end: 14, count: 4, weight: 4, ...done, ...marks });
        expect(second).toMatchObject({ end: 20, count: 6, stride: 1, plannedAt: AT, ...done, ...marks });
        for (const b of [first, second]) {
          for (const gone of ['outputKey', 'itemsSucceeded', 'itemsExcepted', 'leaseOwner'])
            expect(b, gone).not.toHaveProperty(gone);
        }
        expect((await collect(e.deps.batches.openBatches('j'))).map((b) => b.start)).toEqual([1, 21]);
        expect(await e.deps.splits.pendingMoves('j')).toEqual([
          {
            jobId: 'j',
            from: 'outputs/11-20',
            succeeded: true,
            parts: [
              [11, 14],
              [15, 20],
            ],
            runId: 'run-2',
          },
        ]);
      });

      it("splits a batch not yet done into open parts, over a stale run's reservation only", async () => {
        const e = await setup(makeEnv, 'split-pending');
        const batch = await read(e, 21);
        const parts = [part(21, 22), part(23, 27), part(28, 30)];

        const live = await e.deps.splits.splitBatch(splitOf(e, batch, parts));
        const stale = await e.deps.splits.splitBatch(splitOf(e, batch, parts, { staleRuns: ['run-1'] }));

        expect([live, stale]).toEqual([false, true]);
        expect((await collect(e.deps.batches.openBatches('j'))).map((b) => [b.start, b.status])).toEqual([
          [1, 'PENDING'],
          [21, 'PENDING'],
          [23, 'PENDING'],
          [28, 'PENDING'],
        ]);
        expect((await e.deps.splits.pendingMoves('j')).map((m) => m.succeeded)).toEqual([false]);
      });

      it('refuses a batch that changed since it was read, or is under a live lease, writing nothing', async () => {
        const e = await setup(makeEnv, 'split-refused');
        const stale = await read(e, 1);
        granted(await e.deps.leases.acquire(acquireInput(1, 'w')));
        const leased = await read(e, 1);
        const before = await snapshot(e);

        const changed = await e.deps.splits.splitBatch(splitOf(e, stale, [part(1, 4), part(5, 10)]));
        const underLease = await e.deps.splits.splitBatch(splitOf(e, leased, [part(1, 4), part(5, 10)]));

        expect([changed, underLease]).toEqual([false, false]);
        expect(await snapshot(e)).toEqual(before);
      });

      it('rejects parts that do not tile the batch with a RangeError', async () => {
        const e = await setup(makeEnv, 'split-not-tiling');
        const batch = await read(e, 11);

        await expect(
          e.deps.splits.splitBatch(splitOf(e, batch, [part(11, 14), part(15, 19)])),
        ).rejects.toThrow(RangeError);
        await expect(e.deps.splits.splitBatch(splitOf(e, batch, []))).rejects.toThrow(RangeError);
        expect((await read(e, 11)).end).toBe(20);
      });
    });

    describe('SplitStore moves', () => {
      it('holds the parts from leases, reservations and splits until the move is finished', async () => {
        const e = await setup(makeEnv, 'split-held');
        await e.deps.splits.splitBatch(splitOf(e, await read(e, 11), [part(11, 14), part(15, 20)]));
        const redo = (start: number) =>
          e.deps.leases.acquire(acquireInput(start, 'x', { runId: 'run-2', policy: 'redo-unless-same-run' }));
        const now = e.clock.now();

        expect((await redo(11)).outcome).toBe('BUSY');
        expect((await redo(15)).outcome).toBe('BUSY');
        expect(await e.deps.batches.reserveExisting('j', 15, 'run-2', now + MINUTE, now, [])).toBe(false);
        expect(
          await e.deps.splits.splitBatch(splitOf(e, await read(e, 15), [part(15, 16), part(17, 20)])),
        ).toBe(false);
      });

      it('records each part’s output and counts while marked, then releases the parts and drops the move, once', async () => {
        const e = await setup(makeEnv, 'split-move');
        await e.deps.splits.splitBatch(splitOf(e, await read(e, 11), [part(11, 14), part(15, 20)]));
        const [move] = await e.deps.splits.pendingMoves('j');
        const outputs = [
          { outputKey: 'outputs/11-14', itemsSucceeded: 3 },
          { outputKey: 'outputs/15-20', itemsSucceeded: 6 },
        ];

        await expect(e.deps.splits.recordMovedOutputs(move as OutputMove, outputs.slice(1))).rejects.toThrow(
          RangeError,
        );
        await e.deps.splits.recordMovedOutputs(move as OutputMove, outputs);
        await e.deps.splits.finishMove(move as OutputMove);
        await e.deps.splits.recordMovedOutputs(move as OutputMove, [
          { outputKey: 'late', itemsSucceeded: 0 },
          { outputKey: 'late', itemsSucceeded: 0 },
        ]);
        await e.deps.splits.finishMove(move as OutputMove);

        const parts = [await read(e, 11), await read(e, 15)];
        expect(parts.map((b) => [b.outputKey, b.itemsSucceeded, b.itemsExcepted])).toEqual([
          ['outputs/11-14', 3, 1],
          ['outputs/15-20', 6, 0],
        ]);
        for (const b of parts)
          for (const gone of ['moveFrom', 'reservedBy', 'reservedUntil']) expect(b).not.toHaveProperty(gone);
        expect(await e.deps.splits.pendingMoves('j')).toEqual([]);
        const again = await e.deps.leases.acquire(
          acquireInput(15, 'x', { runId: 'run-2', policy: 'redo-unless-same-run' }),
        );
        expect(again.outcome).toBe('ACQUIRED');
      });
    });
  });
}
