import { describe, expect, it } from 'vitest';
import type { Deps } from '../../../../core/deps.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FakeRunLiveness } from '../../../support/fakes/fake-run-liveness.ts';
import { expectTiling, manifestOf } from '../../../support/inventory-checks.ts';
import { heldLease, seedJob, takeBatch } from '../../../support/seed-data.ts';

/** Job `j` over 100 ids in batches of 10, planned by run-1, which then finished with every batch open. */
async function plannedAndFinished(deps: Deps) {
  await seedJob(deps, { ids: 100, size: 10 });
  await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  await deps.runs.finishRun('j', 'run-1', { status: 'FAILED', finishedAt: 'x' });
}

const startsOf = async (deps: Deps, key: string) => (await manifestOf(deps, key)).map((b) => b.start);

describe('planRun over existing batches', () => {
  it('leaves a batch under a live lease out of the plan and counts it busy', async () => {
    const deps = fakeDeps();
    await plannedAndFinished(deps);
    for (const start of [11, 51, 91]) expect((await takeBatch(deps, start)).outcome).toBe('ACQUIRED');

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(await startsOf(deps, plan.manifestKey)).toEqual([1, 21, 31, 41, 61, 71, 81]);
    expect(plan.skippedBusy).toBe(3);
  });

  it('plans a batch whose worker died, once its lease has expired', async () => {
    const deps = fakeDeps();
    await plannedAndFinished(deps);
    await takeBatch(deps, 11, { leaseMs: 1_000 });
    deps.clock.advance(1_001);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(await startsOf(deps, plan.manifestKey)).toContain(11);
    expect(plan.skippedBusy).toBe(0);
    expect((await deps.batches.getBatch('j', { kind: 'inventory' }, 11))?.reservedBy).toBe('run-2');
  });

  it("leaves another live run's reservations alone, and takes them once that run is over", async () => {
    const liveness = new FakeRunLiveness(['run-1']);
    const deps = fakeDeps({ liveness });
    await seedJob(deps, { ids: 30, size: 10 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    const whileLive = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    liveness.finish('run-1');
    const afterIt = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-3');

    expect([whileLive.batches, whileLive.skippedBusy]).toEqual([0, 3]);
    expect(await startsOf(deps, afterIt.manifestKey)).toEqual([1, 11, 21]);
    expect((await deps.batches.getBatch('j', { kind: 'inventory' }, 1))?.reservedBy).toBe('run-3');
  });

  it('takes the reservations of a run without a liveness port once the run has finalized', async () => {
    const deps = fakeDeps();
    await seedJob(deps, { ids: 30, size: 10 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    const whileRunning = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    await deps.runs.finishRun('j', 'run-1', { status: 'PARTIAL', finishedAt: 'x' });
    const afterIt = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-3');

    expect(whileRunning.batches).toBe(0);
    expect(afterIt.batches).toBe(3);
  });

  it('takes reservations that lapsed even when their run still looks live', async () => {
    const deps = fakeDeps({ reservationMs: 60_000 });
    await seedJob(deps, { ids: 30, size: 10 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    deps.clock.advance(60_001);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(plan.batches).toBe(3);
  });
});

describe('planRun retry-failed', () => {
  it('plans only open batches, failed ones and expired leases, never a done one or anything new', async () => {
    const deps = fakeDeps();
    await seedJob(deps, { ids: 500, size: 100 });
    await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 3 }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'PARTIAL', finishedAt: 'x' });
    const done = heldLease(await takeBatch(deps, 1, { leaseMs: 1_000 }));
    await deps.commits.commit({ ...done, itemsSucceeded: 100, itemsExcepted: 0, exceptions: [] });
    const failed = heldLease(await takeBatch(deps, 101, { leaseMs: 1_000 }));
    await deps.commits.fail({ ...failed, error: { name: 'Error', message: 'boom' }, outcome: 'FAILED' });
    await takeBatch(deps, 201, { leaseMs: 1_000 });
    deps.clock.advance(5_000);

    const plan = await planRun(deps, { jobId: 'j', mode: 'retry-failed' }, 'run-2');

    expect(await startsOf(deps, plan.manifestKey)).toEqual([101, 201]);
    expect(plan.newBatches).toBe(0);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(301);
    await expectTiling(deps, 'j');
  });
});
