import { describe, expect, it } from 'vitest';
import { linesOf, outputKeyOf } from '../../../../core/contracts/s3-keys.ts';
import type { Deps } from '../../../../core/deps.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { expectTiling, manifestOf } from '../../../support/inventory-checks.ts';
import { quietWorker, seedJob, takeBatch } from '../../../support/seed-data.ts';

const INVENTORY = { kind: 'inventory' } as const;
const rangesOf = async (deps: Deps, key: string) =>
  (await manifestOf(deps, key)).map((b) => [b.start, b.end]);

/** Job `j` over `ids` ids in batches of 100, planned (and, with `process`, done) by run-1, which has finished. */
async function planned(deps: Deps, ids: number, o: { process?: boolean; maxBatches?: number } = {}) {
  await seedJob(deps, { ids, size: 100 });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: o.maxBatches }, 'run-1');
  if (o.process) {
    for (const batch of await manifestOf(deps, plan.manifestKey))
      await processBatch(deps, { jobId: 'j', runId: 'run-1', mode: 'incremental', batch }, quietWorker('w'));
  }
  await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });
}

const idsIn = async (deps: Deps, key: string) =>
  linesOf((await deps.objects.get(deps.buckets.work, key)) ?? new Uint8Array()).map((l) => JSON.parse(l).id);

describe('planRun backfill', () => {
  it('reuses batch boundaries inside the bounds and splits a batch the bounds cut, never overrunning them', async () => {
    const deps = fakeDeps();
    await planned(deps, 1000);

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 150, idEnd: 420 }, 'run-2');

    expect(await rangesOf(deps, plan.manifestKey)).toEqual([
      [150, 200],
      [201, 300],
      [301, 400],
      [401, 420],
    ]);
    expect(plan.items).toBe(271);
    const batches = await expectTiling(deps, 'j');
    expect(batches.filter((b) => b.splitFrom).map((b) => [b.start, b.end, b.reservedBy])).toEqual([
      [101, 149, undefined],
      [150, 200, 'run-2'],
      [401, 420, 'run-2'],
      [421, 500, undefined],
    ]);
    expect(batches.some((b) => b.moveFrom !== undefined)).toBe(false);
  });

  it('cuts a completed batch into parts that keep its status and each own their output lines', async () => {
    const deps = fakeDeps();
    await planned(deps, 300, { process: true });
    const whole = outputKeyOf('j', INVENTORY, { start: 101, end: 200 });
    expect(await idsIn(deps, whole)).toHaveLength(100);

    await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 150, idEnd: 300 }, 'run-2');

    const [before, inside] = [
      await deps.batches.getBatch('j', INVENTORY, 101),
      await deps.batches.getBatch('j', INVENTORY, 150),
    ];
    expect(before).toMatchObject({
      end: 149,
      status: 'SUCCEEDED',
      completedRunId: 'run-1',
      itemsSucceeded: 49,
    });
    expect(inside).toMatchObject({ end: 200, status: 'SUCCEEDED', itemsSucceeded: 51, reservedBy: 'run-2' });
    expect(await idsIn(deps, before?.outputKey as string)).toEqual(
      Array.from({ length: 49 }, (_, i) => 101 + i),
    );
    expect(await idsIn(deps, inside?.outputKey as string)).toEqual(
      Array.from({ length: 51 }, (_, i) => 150 + i),
    );
    expect(await deps.objects.get(deps.buckets.work, whole)).toBeUndefined();
    expect(await deps.splits.pendingMoves('j')).toEqual([]);
  });

  it('redoes done batches inside the bounds once for its run', async () => {
    const deps = fakeDeps();
    await planned(deps, 300, { process: true });
    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 101, idEnd: 200 }, 'run-2');
    const [batch] = await manifestOf(deps, plan.manifestKey);
    const event = {
      jobId: 'j',
      runId: 'run-2',
      mode: 'backfill' as const,
      batch: batch as NonNullable<typeof batch>,
    };

    const redone = await processBatch(deps, event, quietWorker('w1'));
    const again = await processBatch(deps, event, quietWorker('w2'));

    expect([redone.outcome, again.outcome]).toEqual(['SUCCEEDED', 'ALREADY_DONE']);
    expect(await deps.batches.getBatch('j', INVENTORY, 101)).toMatchObject({
      completedRunId: 'run-2',
      attempt: 2,
    });
  });

  it('leaves ranges reserved by another live run alone, without splitting them', async () => {
    const deps = fakeDeps();
    await seedJob(deps, { ids: 300, size: 100 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 150, idEnd: 250 }, 'run-2');

    expect([plan.batches, plan.skippedBusy]).toEqual([0, 2]);
    expect((await deps.batches.getBatch('j', INVENTORY, 101))?.end).toBe(200);
  });

  it('plans past the watermark up to idEnd when the bounds reach beyond it', async () => {
    const deps = fakeDeps();
    await planned(deps, 1000, { maxBatches: 2 });

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 350, idEnd: 480 }, 'run-2');

    expect(await rangesOf(deps, plan.manifestKey)).toEqual([
      [350, 449],
      [450, 480],
    ]);
    await expectTiling(deps, 'j');
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(481);
  });

  it('never touches a range under a live lease', async () => {
    const deps = fakeDeps();
    await planned(deps, 300);
    await takeBatch(deps, 101);

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 50, idEnd: 250 }, 'run-2');

    expect((await manifestOf(deps, plan.manifestKey)).map((b) => b.start)).toEqual([50, 201]);
    expect(plan.skippedBusy).toBe(1);
    expect((await deps.batches.getBatch('j', INVENTORY, 101))?.end).toBe(200);
    await expectTiling(deps, 'j');
  });
});
