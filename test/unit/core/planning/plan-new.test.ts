import { describe, expect, it } from 'vitest';
import { DEFAULT_RESERVATION_MS } from '../../../../core/deps.ts';
import { InjectedFaultError } from '../../../../core/errors.ts';
import { jobSummary } from '../../../../core/jobs/stats.ts';
import { LEAD_PER_WORKER } from '../../../../core/planning/plan-context.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FakeRunLiveness } from '../../../support/fakes/fake-run-liveness.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { expectTiling, idCounts, manifestOf } from '../../../support/inventory-checks.ts';
import { collect, seedJob } from '../../../support/seed-data.ts';

/** 100 ids in batches of 10, and run-1's Plan killed between recording its cut and creating its batches. */
async function diedAfterCut(o: { liveness?: FakeRunLiveness } = {}): Promise<FakeDeps> {
  const faults = new FaultSwitch();
  const deps = fakeDeps({ faults: faults.hook, liveness: o.liveness });
  await seedJob(deps, { ids: 100, size: 10 });
  faults.crashAt('plan.afterCut');
  await expect(planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1')).rejects.toBeInstanceOf(
    InjectedFaultError,
  );
  return deps;
}

/** Each id of the manifest at `key` is in it once, and there are `n` of them. */
async function expectEveryIdOnce(deps: FakeDeps, key: string, n: number) {
  const ids = idCounts([await manifestOf(deps, key)]);
  expect(ids.size).toBe(n);
  expect([...ids.values()].every((k) => k === 1)).toBe(true);
}

describe('planRun, new ranges cut in two steps', () => {
  it('leaves the cut recorded and no batch when its planner dies between the steps', async () => {
    const deps = await diedAfterCut();

    const cuts = await collect(deps.cuts.pendingCuts('j'));

    expect(cuts.map((c) => [c.runId, c.from, c.batches.length])).toEqual([['run-1', 1, 10]]);
    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toEqual([]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(101);
    await expectTiling(deps, 'j');
  });

  it('creates and plans a dead planner’s cut in the next run, every id once', async () => {
    const deps = await diedAfterCut({ liveness: new FakeRunLiveness(['run-2']) });

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    await expectEveryIdOnce(deps, plan.manifestKey, 100);
    expect(plan.newBatches).toBe(0);
    expect(await collect(deps.cuts.pendingCuts('j'))).toEqual([]);
    expect((await expectTiling(deps, 'j')).every((b) => b.reservedBy === 'run-2')).toBe(true);
  });

  it('leaves a live planner’s cut to it, counted busy, and its retried Plan creates and plans it', async () => {
    const deps = await diedAfterCut();

    const other = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    const retried = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    expect([other.batches, other.skippedBusy]).toEqual([0, 10]);
    await expectEveryIdOnce(deps, retried.manifestKey, 100);
    expect(await collect(deps.cuts.pendingCuts('j'))).toEqual([]);
    await expectTiling(deps, 'j');
  });

  it('creates a cut whose reservation lapsed even when its run still looks live', async () => {
    const deps = await diedAfterCut();
    deps.clock.advance(DEFAULT_RESERVATION_MS + 1);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    await expectEveryIdOnce(deps, plan.manifestKey, 100);
  });

  it('plans a dead planner’s cut inside a backfill’s bounds, and only those ids', async () => {
    const deps = await diedAfterCut({ liveness: new FakeRunLiveness(['run-2']) });

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 21, idEnd: 50 }, 'run-2');

    expect((await manifestOf(deps, plan.manifestKey)).map((b) => [b.start, b.end])).toEqual([
      [21, 30],
      [31, 40],
      [41, 50],
    ]);
    await expectTiling(deps, 'j');
  });
});

/** 250 ids in batches of 1, planned by run-1 at a concurrency of 1: Plan creates cuts within 4 items of the Map. */
async function planFarAhead() {
  const deps = fakeDeps();
  await seedJob(deps, { ids: 250, size: 1 });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', maxConcurrency: 1 }, 'run-1');
  return { deps, plan, manifest: await manifestOf(deps, plan.manifestKey) };
}

describe('planRun, cuts past the lead left to the run’s workers', () => {
  it('creates the first cut itself and records the others, each with its workers and its worker ahead', async () => {
    const { deps, plan, manifest } = await planFarAhead();

    // Cuts of 99, 99 and 52 batches; LEAD_PER_WORKER x 1 = 4 items of lead.
    expect(plan.newBatches).toBe(250);
    expect(manifest.map((m) => m.start)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(manifest.filter((m) => m.cut === undefined)).toHaveLength(99);
    expect(manifest.filter((m) => m.cut === 100).map((m) => m.start)).toEqual(
      Array.from({ length: 99 }, (_, i) => i + 100),
    );
    expect(manifest.filter((m) => m.cut === 199)).toHaveLength(52);
    expect(manifest.filter((m) => m.ahead !== undefined).map((m) => [m.start, m.ahead])).toEqual([
      [100 - LEAD_PER_WORKER, 100],
      [199 - LEAD_PER_WORKER, 199],
    ]);
    const cuts = await collect(deps.cuts.pendingCuts('j'));
    expect(cuts.map((c) => [c.from, c.batches.length, c.runId])).toEqual([
      [100, 99, 'run-1'],
      [199, 52, 'run-1'],
    ]);
    expect(await expectTiling(deps, 'j')).toHaveLength(99);
    expect((await jobSummary(deps, 'j')).batches).toEqual({
      PENDING: 250,
      RUNNING: 0,
      SUCCEEDED: 0,
      FAILED: 0,
    });
  });

  it('leaves the cuts of a run that ended before its workers reached them to the next plan, every id once', async () => {
    const { deps } = await planFarAhead();
    await deps.runs.finishRun('j', 'run-1', { status: 'FAILED', finishedAt: 'x' });

    const next = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    await expectEveryIdOnce(deps, next.manifestKey, 250);
    expect(await collect(deps.cuts.pendingCuts('j'))).toEqual([]);
    expect((await expectTiling(deps, 'j')).every((b) => b.reservedBy === 'run-2')).toBe(true);
  });
});
