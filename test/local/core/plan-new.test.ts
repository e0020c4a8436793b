import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../core/contracts/tables.ts';
import { DEFAULT_RESERVATION_MS } from '../../../core/deps.ts';
import { InjectedFaultError, ValidationError } from '../../../core/errors.ts';
import type { ManifestItem, ProcessBatchEvent } from '../../../core/events.ts';
import { jobSummary } from '../../../core/jobs/stats.ts';
import { LEAD_PER_WORKER } from '../../../core/planning/plan-context.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import {
  acquireBatch,
  type CoreEnv,
  collect,
  coreEnv,
  quietWorker,
  seedJob,
} from '../../support/core-env.ts';
import { expectTiling, idCounts, manifestOf } from '../../support/inventory-checks.ts';

/** 100 ids in batches of 10, and run-1's Plan killed between recording its cut and creating its batches. */
async function diedAfterCut(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label);
  await seedJob(e.deps, { ids: 100, size: 10 });
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
    const cuts = await collect(deps.cuts.pendingCuts('j'));
    expect(cuts.map((c) => [c.runId, c.from, c.batches.length])).toEqual([['run-1', 1, 10]]);
    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toEqual([]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(101);
  });

  it('creates and plans a dead planner’s cut in the next run, every id once', async () => {
    const e = await diedAfterCut('cut-dead-next');
    const plan = await planRun(deadRun1(e), { jobId: 'j', mode: 'incremental' }, 'run-2');
    const ids = idCounts([await manifestOf(e.deps, plan.manifestKey)]);
    expect(ids.size).toBe(100);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(plan.newBatches).toBe(0);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    const batches = await expectTiling(e.deps, 'j');
    expect(batches.every((b) => b.reservedBy === 'run-2')).toBe(true);
  });

  it('leaves a live planner’s cut to it, counted busy, and its retried Plan creates and plans it', async () => {
    const e = await diedAfterCut('cut-live-owner');
    // run-1 never finished: without a liveness port it counts as live until its reservation lapses.
    const other = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    expect(other.batches).toBe(0);
    expect(other.skippedBusy).toBe(10);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toHaveLength(1);

    const retried = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    expect(idCounts([await manifestOf(e.deps, retried.manifestKey)]).size).toBe(100);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
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
    await seedJob(deps, { ids: 100, size: 10 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'FAILED', finishedAt: 'x' });
    for (const start of [11, 51, 91]) {
      expect((await acquireBatch(deps, start)).outcome).toBe('ACQUIRED');
    }
    // The open query itself leaves them out, and says how many.
    let leased = 0;
    const free = {
      now: clock.now(),
      leased: (n: number) => {
        leased += n;
      },
    };
    const open = await collect(deps.batches.openBatches('j', free));
    expect([open.length, leased]).toEqual([7, 3]);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => b.start)).toEqual([1, 21, 31, 41, 61, 71, 81]);
    expect(plan.skippedBusy).toBe(3);
  });
});

/** 250 ids in batches of 1, planned by run-1 at a concurrency of 1: Plan creates cuts within 4 items of the Map. */
async function planFarAhead(label: string) {
  const e = await coreEnv(label);
  await seedJob(e.deps, { ids: 250, size: 1 });
  const plan = await planRun(e.deps, { jobId: 'j', mode: 'incremental', maxConcurrency: 1 }, 'run-1');
  return { e, plan, manifest: await manifestOf(e.deps, plan.manifestKey) };
}

const event = (item: ManifestItem): ProcessBatchEvent => ({
  jobId: 'j',
  runId: 'run-1',
  mode: 'incremental',
  batch: item,
});

describe('planRun, cuts past the lead left to the run’s workers', () => {
  it('creates the first cut itself and records the others, each with its workers and its worker ahead', async () => {
    const { e, plan, manifest } = await planFarAhead('cut-lead');
    // Cuts of 99, 99 and 52 batches; LEAD_PER_WORKER x 1 = 4 items of lead.
    expect(plan.newBatches).toBe(250);
    expect(manifest.map((m) => m.start)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(manifest.filter((m) => m.cut === undefined).map((m) => m.start)).toEqual(
      Array.from({ length: 99 }, (_, i) => i + 1),
    );
    expect(manifest.filter((m) => m.cut === 100).map((m) => m.start)).toEqual(
      Array.from({ length: 99 }, (_, i) => i + 100),
    );
    expect(manifest.filter((m) => m.cut === 199)).toHaveLength(52);
    expect(manifest.filter((m) => m.ahead !== undefined).map((m) => [m.start, m.ahead])).toEqual([
      [100 - LEAD_PER_WORKER, 100],
      [199 - LEAD_PER_WORKER, 199],
    ]);
    const cuts = await collect(e.deps.cuts.pendingCuts('j'));
    expect(cuts.map((c) => [c.from, c.batches.length, c.runId])).toEqual([
      [100, 99, 'run-1'],
      [199, 52, 'run-1'],
    ]);
    const created = await expectTiling(e.deps, 'j');
    expect(created).toHaveLength(99);
    // The job's statistics count the recorded cuts' batches as pending.
    expect((await jobSummary(e.deps, 'j')).batches).toEqual({
      PENDING: 250,
      RUNNING: 0,
      SUCCEEDED: 0,
      FAILED: 0,
    });
  });

  it('has the worker ahead create the next cut, so the cut’s own workers find their batches', async () => {
    const { e, manifest } = await planFarAhead('cut-ahead');
    const finished: number[] = [];
    const store = e.deps.cuts;
    const deps = e.with({
      cuts: new Proxy(store, {
        get: (t, prop, r) =>
          prop === 'finishCut'
            ? (jobId: string, from: number) => {
                finished.push(from);
                return t.finishCut(jobId, from);
              }
            : Reflect.get(t, prop, r),
      }),
    });
    const ahead = manifest.find((m) => m.ahead === 100) as ManifestItem;
    expect((await processBatch(deps, event(ahead), quietWorker('w0'))).outcome).toBe('SUCCEEDED');
    expect(finished).toEqual([100]);
    expect((await collect(e.deps.cuts.pendingCuts('j'))).map((c) => c.from)).toEqual([199]);
    const first = await e.deps.batches.getBatch('j', { kind: 'inventory' }, 100);
    expect([first?.status, first?.reservedBy]).toEqual(['PENDING', 'run-1']);
    // The cut's first worker takes its lease at once: no second creation.
    expect((await processBatch(deps, event(manifest[99] as ManifestItem), quietWorker('w1'))).outcome).toBe(
      'SUCCEEDED',
    );
    expect(finished).toEqual([100]);
    await expectTiling(e.deps, 'j');
  });

  it('has a worker that finds no record create its cut and take the lease', async () => {
    const { e, manifest } = await planFarAhead('cut-fallback');
    // Out of order, before the worker ahead: item 210 of the last cut.
    const late = manifest.find((m) => m.start === 210) as ManifestItem;
    expect(late.cut).toBe(199);
    const report = await processBatch(e.deps, event(late), quietWorker('w'));
    expect([report.outcome, report.start, report.itemsSucceeded]).toEqual(['SUCCEEDED', 210, 1]);
    expect((await collect(e.deps.cuts.pendingCuts('j'))).map((c) => c.from)).toEqual([100]);
    expect((await e.deps.batches.getBatch('j', { kind: 'inventory' }, 210))?.status).toBe('SUCCEEDED');
    // The worker ahead finds it created and does nothing more; its own batch is processed as ever.
    const ahead = manifest.find((m) => m.ahead === 199) as ManifestItem;
    expect((await processBatch(e.deps, event(ahead), quietWorker('w2'))).outcome).toBe('SUCCEEDED');
    await expectTiling(e.deps, 'j');
  });

  it('has ten workers that find no record at once create their cut once, and each take its own lease', async () => {
    const { e, manifest } = await planFarAhead('cut-pile-up');
    const items = manifest.filter((m) => m.cut === 199).slice(10, 20);
    const reports = await Promise.all(
      items.map((item, k) => processBatch(e.deps, event(item), quietWorker(`w${k}`))),
    );
    expect(reports.map((r) => [r.outcome, r.start])).toEqual(items.map((m) => ['SUCCEEDED', m.start]));
    expect((await collect(e.deps.cuts.pendingCuts('j'))).map((c) => c.from)).toEqual([100]);
    const batches = await expectTiling(e.deps, 'j');
    expect(batches.filter((b) => b.start >= 199)).toHaveLength(52);
    expect(batches.filter((b) => b.status === 'SUCCEEDED').map((b) => b.start)).toEqual(
      items.map((m) => m.start),
    );
  });

  it('processes every item once when the whole manifest runs in order, no cut left', async () => {
    const { e, manifest } = await planFarAhead('cut-all');
    for (const [i, item] of manifest.entries())
      expect((await processBatch(e.deps, event(item), quietWorker(`w${i}`))).outcome).toBe('SUCCEEDED');
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    const batches = await expectTiling(e.deps, 'j');
    expect(batches.every((b) => b.status === 'SUCCEEDED')).toBe(true);
    expect(batches.reduce((n, b) => n + (b.itemsSucceeded ?? 0), 0)).toBe(250);
  });

  it('fails no batch when the cut ahead cannot be created, and leaves it to the cut’s workers', async () => {
    const { e, manifest } = await planFarAhead('cut-ahead-fails');
    // A damaged cut record: creating it ahead fails validation.
    await e.env.clients.doc.send(
      new PutCommand({
        TableName: e.env.tables.inventory,
        Item: { ...keys.cut('j', 199), kind: 'cut', jobId: 'j', from: 'not a number' },
      }),
    );
    const warned: string[] = [];
    const log = { info() {}, warn: (m: string) => warned.push(m) };
    const ahead = manifest.find((m) => m.ahead === 199) as ManifestItem;
    const report = await processBatch(e.deps, event(ahead), { invocationId: 'w', log });
    expect(report.outcome).toBe('SUCCEEDED');
    expect(warned).toEqual(['creating the cut ahead failed; its workers will create it']);
    // The cut's own worker meets the same record and fails with the typed error, nothing created.
    await expect(
      processBatch(e.deps, event(manifest[200] as ManifestItem), quietWorker('w2')),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await e.deps.batches.getBatch('j', { kind: 'inventory' }, 201)).toBeUndefined();
  });

  it('leaves the cuts of a run that ended before its workers reached them to the next plan, every id once', async () => {
    const { e } = await planFarAhead('cut-run-ended');
    await e.deps.runs.finishRun('j', 'run-1', { status: 'FAILED', finishedAt: 'x' });
    const next = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    const ids = idCounts([await manifestOf(e.deps, next.manifestKey)]);
    expect(ids.size).toBe(250);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    const batches = await expectTiling(e.deps, 'j');
    expect(batches.every((b) => b.reservedBy === 'run-2')).toBe(true);
  });
});
