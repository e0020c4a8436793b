import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import type { BatchScope } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { type CoreEnv, collect, coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { manifestOf } from '../../support/inventory-checks.ts';
import { refuseAll } from '../../support/processors.ts';

/**
 * A batch with more exceptions than its commit transaction carries (98) stages them in S3 and publishes them
 * once the commit is in. Whatever crashes where, the exceptions seen in the end are exactly those of the
 * attempt that committed, once each, and a publish repeated after a crash never reopens a resolved one.
 */

const INVENTORY: BatchScope = { kind: 'inventory' };

async function setup(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label, [refuseAll]);
  await seedDataset(e.deps, 'ds', 120, { chunk: 120 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'refuse-all' },
    batching: { by: 'count', size: 120 },
    leaseSeconds: 60,
  });
  await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  return e;
}

const event = (runId: string) => ({
  jobId: 'j',
  runId,
  mode: 'incremental' as const,
  batch: { start: 1, end: 120, stride: 1, scope: 'inventory' as const },
});

/** Every exception of the job, whatever its status. */
async function allExceptions(e: CoreEnv) {
  const out = [];
  for (let next: string | undefined, first = true; first || next; first = false) {
    const page = await e.deps.exceptions.list('j', {}, { next, limit: 100 });
    out.push(...page.items);
    next = page.next;
  }
  return out;
}

async function expectExactlyTheCommittedOnes(e: CoreEnv, where: string): Promise<void> {
  const batch = await e.deps.batches.getBatch('j', INVENTORY, 1);
  expect(batch?.status, where).toBe('SUCCEEDED');
  expect(batch?.itemsExcepted, where).toBe(120);
  const exceptions = await allExceptions(e);
  expect(new Set(exceptions.map((x) => x.runId)), where).toEqual(new Set([batch?.completedRunId]));
  expect(
    exceptions.map((x) => x.itemId).sort((a, b) => a - b),
    where,
  ).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  expect(await e.deps.publishes.pendingPublishes('j'), where).toEqual([]);
}

describe('exceptions beyond what a commit carries', () => {
  it('are staged, committed with the batch, and written once the commit is in', async () => {
    const e = await setup('staged-plain');
    const out = await processBatch(e.deps, event('run-1'), quietWorker('w'));
    expect([out.outcome, out.itemsExcepted]).toEqual(['SUCCEEDED', 120]);
    await expectExactlyTheCommittedOnes(e, 'plain');
    expect((await e.deps.objects.list(e.deps.buckets.work, 'staging/j/')).items).toEqual([]);
  });

  it("after a crash at any point, end as exactly the committed attempt's exceptions", async () => {
    const probe = await setup('staged-probe');
    probe.faults.seen.length = 0;
    await processBatch(probe.deps, event('run-1'), quietWorker('probe'));
    const counts = new Map<string, number>();
    const points: [string, number][] = probe.faults.seen.map((p) => [
      p,
      counts.set(p, (counts.get(p) ?? 0) + 1).get(p) as number,
    ]);
    expect(points.map(([p]) => p)).toEqual([
      'process.afterAcquire',
      'process.afterOutputs',
      'process.afterExceptionsStaged',
      'process.beforeCommit',
      'process.afterCommit',
      'exceptions.afterPublishPage',
      'exceptions.afterPublishPage',
    ]);
    for (const [point, nth] of points) {
      for (const recovery of ['same run', 'next plan, new run'] as const) {
        const where = `${point}#${nth}, then ${recovery}`;
        const e = await setup(`staged-${nth}`);
        e.faults.crashAt(point, nth);
        await expect(processBatch(e.deps, event('run-1'), quietWorker('a')), where).rejects.toBeInstanceOf(
          InjectedFaultError,
        );
        e.clock.advance(61_000);
        if (recovery === 'same run') {
          const again = await processBatch(e.deps, event('run-1'), quietWorker('b'));
          // A worker that finds the batch done leaves the publishing to the next plan.
          if (again.outcome === 'ALREADY_DONE')
            await planRun(e.deps, { jobId: 'j', mode: 'retry-failed' }, 'run-3');
        } else {
          const dead = e.with({ liveness: { isActive: async (_: string, run: string) => run !== 'run-1' } });
          const plan = await planRun(dead, { jobId: 'j', mode: 'incremental' }, 'run-2');
          for (const b of await manifestOf(dead, plan.manifestKey))
            await processBatch(dead, { ...event('run-2'), batch: b }, quietWorker('c'));
        }
        await expectExactlyTheCommittedOnes(e, where);
      }
    }
  });

  it('never reopens an exception resolved while its publishing was interrupted', async () => {
    const e = await setup('staged-resolved');
    e.faults.crashAt('exceptions.afterPublishPage', 1);
    await expect(processBatch(e.deps, event('run-1'), quietWorker('a'))).rejects.toBeInstanceOf(
      InjectedFaultError,
    );
    const [first] = (await e.deps.exceptions.list('j', { status: 'OPEN' }, { limit: 1 })).items;
    expect(first).toBeDefined();
    await e.deps.exceptions.decide(
      'j',
      [{ exceptionId: first?.exceptionId as string, to: 'RESOLVED', note: 'looked at it' }],
      'x',
    );
    await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    await expectExactlyTheCommittedOnes(e, 'after the next plan');
    expect((await e.deps.exceptions.get('j', first?.exceptionId as string))?.status).toBe('RESOLVED');
    const attempts = await collect(e.deps.attempts.list('j', INVENTORY, 1));
    expect(attempts.map((a) => a.outcome)).toEqual(['SUCCEEDED']);
  });
});
