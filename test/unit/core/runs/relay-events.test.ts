import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '../../../../core/errors.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { relayEvents } from '../../../../core/runs/relay-events.ts';
import { FakeEventBus } from '../../../support/fakes/fake-event-bus.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { collect, quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from '../processing/batch-env.ts';

/** Job `j` over 40 ids in 4 batches planned by run-1, with a bus that keeps what it is sent. */
async function setup(faults?: FaultSwitch) {
  const bus = new FakeEventBus();
  const env = await batchEnv({ processor: 'noop', bus, faults: faults?.hook });
  const work = async (i: number) => processBatch(env.deps, env.event(i), quietWorker(`w${i}`));
  return { ...env, bus, work };
}

describe('events of commits and runs', () => {
  it('publishes one BatchCommitted per commit and one RunFinished per run, each once', async () => {
    const { deps, manifest, bus, work } = await setup();
    for (const i of manifest.keys()) await work(i);

    await finalizeRun(deps, { jobId: 'j', runId: 'run-1' });
    await finalizeRun(deps, { jobId: 'j', runId: 'run-1' }); // a retried Finalize tells nothing new

    const batches = (await collect(deps.batches.list('j', { kind: 'inventory' }))).map((b) => [
      b.start,
      b.end,
    ]);
    const committed = bus.sent.filter((e) => e.type === 'BatchCommitted');
    expect(committed.map((e) => [e.detail.start, e.detail.end])).toEqual(batches);
    expect(new Set(committed.map((e) => e.eventId)).size).toBe(batches.length);
    expect(bus.sent.filter((e) => e.type === 'RunFinished')).toEqual([
      expect.objectContaining({
        eventId: 'j/run#run-1',
        runId: 'run-1',
        detail: expect.objectContaining({ status: 'SUCCEEDED', batchesSucceeded: 4, itemsSucceeded: 40 }),
      }),
    ]);
    expect(await deps.events.pending('j', 100)).toEqual([]);
    expect((await deps.events.list('j', {})).items).toEqual(bus.sent);
  });

  it('keeps a commit whose event the bus refused, and the next plan publishes it', async () => {
    const { deps, bus, work } = await setup();
    bus.failNext = 1;

    expect((await work(0)).outcome).toBe('SUCCEEDED');
    expect(bus.sent).toEqual([]);
    expect((await deps.events.pending('j', 10)).map((e) => e.eventId)).toEqual(['j/B#1#1']);
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(bus.sent.map((e) => e.eventId)).toEqual(['j/B#1#1']);
    expect(await deps.events.pending('j', 10)).toEqual([]);
  });

  it('records the event of a commit whose worker died right after it; the next plan publishes it', async () => {
    const faults = new FaultSwitch();
    const { deps, bus, work } = await setup(faults);
    faults.crashAt('process.afterCommit');

    await expect(work(0)).rejects.toBeInstanceOf(InjectedFaultError);
    expect(bus.sent).toEqual([]);
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect(bus.sent.map((e) => e.eventId)).toEqual(['j/B#1#1']);
  });

  it('writes no event for an attempt that did not commit', async () => {
    const faults = new FaultSwitch();
    const { deps, work } = await setup(faults);
    faults.crashAt('process.beforeCommit');

    await expect(work(0)).rejects.toBeInstanceOf(InjectedFaultError);

    expect((await deps.events.list('j', {})).items).toEqual([]);
  });

  it('without a bus, drops the pending marks and keeps the log', async () => {
    const env = await batchEnv({ processor: 'noop' });
    await processBatch(env.deps, env.event(0), quietWorker('w'));

    expect(await relayEvents(env.deps, 'j')).toBe(0);
    expect(await env.deps.events.pending('j', 10)).toEqual([]);
    expect((await env.deps.events.list('j', {})).items.map((e) => e.eventId)).toEqual(['j/B#1#1']);
  });
});
