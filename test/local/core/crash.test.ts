import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '../../../core/errors.ts';
import { createJob, deleteJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { type CoreEnv, collect, coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { expectTiling, idCounts, manifestOf } from '../../support/inventory-checks.ts';
import { countItems } from '../../support/local.ts';

/** Run `op` once with a recording hook to learn every fault point it passes, with how often. */
async function pointsOf(make: () => Promise<CoreEnv>, op: (e: CoreEnv) => Promise<unknown>) {
  const e = await make();
  e.faults.seen.length = 0;
  await op(e);
  const seen = new Map<string, number>();
  const list: [string, number][] = [];
  for (const p of e.faults.seen) {
    const n = (seen.get(p) ?? 0) + 1;
    seen.set(p, n);
    list.push([p, n]);
  }
  return list;
}

async function planningEnv(label: string) {
  const e = await coreEnv(label);
  await seedDataset(e.deps, 'ds', 1000, { chunk: 250 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 5 },
  });
  return e;
}

describe('a crash between any two writes of planning', () => {
  it('leaves state from which planning again (same run, or a new one) reserves every id exactly once', async () => {
    const plan = (e: CoreEnv, runId: string) => planRun(e.deps, { jobId: 'j', mode: 'incremental' }, runId);
    const points = await pointsOf(
      () => planningEnv('crash-plan-probe'),
      (e) => plan(e, 'run-1'),
    );
    expect(points.length).toBeGreaterThanOrEqual(3);
    for (const [point, nth] of points) {
      for (const rerun of ['same run', 'new run'] as const) {
        const e = await planningEnv(`crash-plan-${nth}`);
        e.faults.crashAt(point, nth);
        await expect(plan(e, 'run-1'), `${point}#${nth}`).rejects.toBeInstanceOf(InjectedFaultError);
        // A new execution of the same input: the crashed one is dead (it never finalized; its run is gone).
        const deps =
          rerun === 'new run' ? e.with({ liveness: { isActive: async (_j, r) => r !== 'run-1' } }) : e.deps;
        const out = await planRun(
          deps,
          { jobId: 'j', mode: 'incremental' },
          rerun === 'same run' ? 'run-1' : 'run-2',
        );
        const ids = idCounts([await manifestOf(e.deps, out.manifestKey)]);
        expect(ids.size, `${point}#${nth} ${rerun}`).toBe(1000);
        expect([...ids.values()].every((n) => n === 1)).toBe(true);
        await expectTiling(e.deps, 'j');
      }
    }
  });
});

async function processingEnv(label: string) {
  const e = await coreEnv(label);
  await seedDataset(e.deps, 'ds', 40, { chunk: 40 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 20 },
  });
  await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  return e;
}

const event = {
  jobId: 'j',
  runId: 'run-1',
  mode: 'incremental' as const,
  batch: { start: 1, end: 20, stride: 1, scope: 'inventory' as const },
};

describe('a crash between any two writes of processing a batch', () => {
  it('is finished by the next worker once the lease expires: one commit, one output, the dead attempt in the history', async () => {
    const points = await pointsOf(
      () => processingEnv('crash-process-probe'),
      (e) => processBatch(e.deps, event, quietWorker('probe')),
    );
    expect(points.map(([p]) => p)).toEqual([
      'process.afterAcquire',
      'process.afterOutputs',
      'process.beforeCommit',
      'process.afterCommit',
    ]);
    for (const [point, nth] of points) {
      const e = await processingEnv(`crash-process-${point}`);
      e.faults.crashAt(point, nth);
      await expect(processBatch(e.deps, event, quietWorker('a'))).rejects.toBeInstanceOf(InjectedFaultError);
      e.clock.advance(901_000);
      const again = await processBatch(e.deps, event, quietWorker('b'));
      const committed = point === 'process.afterCommit';
      expect(again.outcome, point).toBe(committed ? 'ALREADY_DONE' : 'SUCCEEDED');
      const batch = await e.deps.batches.getBatch('j', { kind: 'inventory' }, 1);
      expect(batch?.status).toBe('SUCCEEDED');
      const outputs = await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/');
      expect(outputs.items).toHaveLength(1);
      const history = await collect(e.deps.attempts.list('j', { kind: 'inventory' }, 1));
      expect(
        history.map((h) => h.outcome),
        point,
      ).toEqual(committed ? ['SUCCEEDED'] : ['LEASE_EXPIRED', 'SUCCEEDED']);
    }
  });
});

describe('a crash between any two writes of deleting a job', () => {
  it('is finished by deleting again', async () => {
    const setup = async (label: string) => {
      const e = await processingEnv(label);
      await processBatch(e.deps, event, quietWorker('w'));
      await processBatch(
        e.deps,
        { ...event, batch: { ...event.batch, start: 21, end: 40 } },
        quietWorker('w'),
      );
      return e;
    };
    const points = await pointsOf(
      () => setup('crash-delete-probe'),
      (e) => deleteJob(e.deps, 'j'),
    );
    expect(points.length).toBeGreaterThanOrEqual(3);
    for (const [point, nth] of points) {
      const e = await setup(`crash-delete-${nth}`);
      const before = await countItems(e.env);
      e.faults.crashAt(point, nth);
      await expect(deleteJob(e.deps, 'j')).rejects.toBeInstanceOf(InjectedFaultError);
      expect((await deleteJob(e.deps, 'j')).existed, point).toBe(true);
      const after = await countItems(e.env);
      expect(after.inventory).toBe(0);
      expect(after.exceptions).toBe(0);
      expect(after.catalog).toBe(before.catalog);
      expect((await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/')).items).toEqual([]);
    }
  });
});
