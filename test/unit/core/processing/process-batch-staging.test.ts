import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '../../../../core/errors.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { refuseAll } from '../../../support/processors.ts';
import { quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from './batch-env.ts';

/** One batch of 150 ids whose every item is set aside: more exceptions than a commit carries. */
const setup = (faults?: FaultSwitch) =>
  batchEnv({
    processor: 'refuse-all',
    processors: [refuseAll],
    ids: 150,
    chunk: 150,
    size: 150,
    faults: faults?.hook,
  });

describe('processBatch with more exceptions than a commit carries', () => {
  it('stages them, commits, then publishes every one and cleans up', async () => {
    const { deps, event } = await setup();

    const report = await processBatch(deps, event(0), quietWorker('w1'));

    expect(report).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 0, itemsExcepted: 150 });
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 150, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
    expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
    expect((await deps.objects.list(deps.buckets.work, 'staging/')).items).toEqual([]);
  });

  it('leaves the publish of a worker that crashed after its commit to the next plan', async () => {
    const faults = new FaultSwitch();
    const { deps, event } = await setup(faults);
    faults.crashAt('process.afterCommit');

    await expect(processBatch(deps, event(0), quietWorker('w1'))).rejects.toBeInstanceOf(InjectedFaultError);
    const before = await deps.exceptions.counts('j');
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(before.OPEN).toBe(0);
    expect((await deps.batches.getBatch('j', { kind: 'inventory' }, 1))?.status).toBe('SUCCEEDED');
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 150, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
    expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
  });

  it('never shows the exceptions of an attempt that did not commit', async () => {
    const faults = new FaultSwitch();
    const { deps, event } = await setup(faults);
    faults.crashAt('process.beforeCommit');

    await expect(processBatch(deps, event(0), quietWorker('w1'))).rejects.toBeInstanceOf(InjectedFaultError);
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
    expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
  });
});
