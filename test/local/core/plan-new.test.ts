import { describe, expect, it } from 'vitest';
import { DEFAULT_RESERVATION_MS } from '../../../core/deps.ts';
import { InjectedFaultError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs.ts';
import { planRun } from '../../../core/plan-run.ts';
import { type CoreEnv, collect, coreEnv, seedDataset } from '../../support/core-env.ts';
import { expectTiling, idCounts, manifestOf } from '../../support/invariants.ts';

/** 100 ids in batches of 10, and run-1's Plan killed between recording its cut and creating its batches. */
async function diedAfterCut(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label);
  await seedDataset(e.deps, 'ds', 100);
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 10 },
  });
  e.faults.crashAt('plan.afterCut');
  await expect(planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1')).rejects.toBeInstanceOf(
    InjectedFaultError,
  );
  return e;
}

const deadRun1 = (e: CoreEnv) => e.with({ liveness: { isActive: async (_j, runId) => runId !== 'run-1' } });

describe('planRun, new ranges cut in two steps', () => {
  it('leaves the cut recorded and no batch when its planner dies between the steps', async () => {
    const { deps } = await diedAfterCut('cut-died');
    const cuts = await collect(deps.inventory.pendingCuts('j'));
    expect(cuts.map((c) => [c.runId, c.from, c.batches.length])).toEqual([['run-1', 1, 10]]);
    expect(await collect(deps.inventory.batches('j', { kind: 'inventory' }))).toEqual([]);
    expect((await deps.inventory.getJob('j'))?.watermark).toBe(101);
  });

  it('creates and plans a dead planner’s cut in the next run, every id once', async () => {
    const e = await diedAfterCut('cut-dead-next');
    const plan = await planRun(deadRun1(e), { jobId: 'j', mode: 'incremental' }, 'run-2');
    const ids = idCounts([await manifestOf(e.deps, plan.manifestKey)]);
    expect(ids.size).toBe(100);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(plan.newBatches).toBe(0);
    expect(await collect(e.deps.inventory.pendingCuts('j'))).toEqual([]);
    const batches = await expectTiling(e.deps, 'j');
    expect(batches.every((b) => b.reservedBy === 'run-2')).toBe(true);
  });

  it('leaves a live planner’s cut to it, counted busy, and its retried Plan creates and plans it', async () => {
    const e = await diedAfterCut('cut-live-owner');
    // run-1 never finished: without a liveness port it counts as live until its reservation lapses.
    const other = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    expect(other.batches).toBe(0);
    expect(other.skippedBusy).toBe(10);
    expect(await collect(e.deps.inventory.pendingCuts('j'))).toHaveLength(1);

    const retried = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    expect(idCounts([await manifestOf(e.deps, retried.manifestKey)]).size).toBe(100);
    expect(await collect(e.deps.inventory.pendingCuts('j'))).toEqual([]);
    await expectTiling(e.deps, 'j');
  });

  it('creates a cut whose reservation lapsed even when its run still looks live', async () => {
    const e = await diedAfterCut('cut-lapsed');
    e.clock.advance(DEFAULT_RESERVATION_MS + 1);
    const plan = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    expect(idCounts([await manifestOf(e.deps, plan.manifestKey)]).size).toBe(100);
    await expectTiling(e.deps, 'j');
  });

  it('plans a dead planner’s cut inside a backfill’s bounds, and only those ids', async () => {
    const e = await diedAfterCut('cut-backfill');
    const plan = await planRun(
      deadRun1(e),
      { jobId: 'j', mode: 'backfill', idStart: 21, idEnd: 50 },
      'run-2',
    );
    const m = await manifestOf(e.deps, plan.manifestKey);
    expect(m.map((b) => [b.start, b.end])).toEqual([
      [21, 30],
      [31, 40],
      [41, 50],
    ]);
    await expectTiling(e.deps, 'j');
  });
});

describe('planRun over open batches', () => {
  it('leaves batches under a live lease out of the plan and counts them busy', async () => {
    const { deps, clock } = await coreEnv('plan-open-leased');
    await seedDataset(deps, 'ds', 100);
    await createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
    });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.inventory.finishRun('j', 'run-1', { status: 'FAILED', finishedAt: 'x' });
    for (const start of [11, 51, 91]) {
      const got = await deps.inventory.acquire({
        jobId: 'j',
        scope: { kind: 'inventory' },
        start,
        owner: 'w',
        runId: 'run-1',
        leaseMs: 60_000,
        policy: 'skip-succeeded',
      });
      expect(got.outcome).toBe('ACQUIRED');
    }
    // The open query itself leaves them out, and says how many.
    let leased = 0;
    const free = {
      now: clock.now(),
      leased: (n: number) => {
        leased += n;
      },
    };
    const open = await collect(deps.inventory.openBatches('j', free));
    expect([open.length, leased]).toEqual([7, 3]);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => b.start)).toEqual([1, 21, 31, 41, 61, 71, 81]);
    expect(plan.skippedBusy).toBe(3);
  });
});
