import { describe, expect, it } from 'vitest';
import type { RunInput } from '../../../../core/events.ts';
import { createJob, updateJobConfig } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import type { JobEvent, RunStarter } from '../../../../core/ports/index.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { reconcileTriggers, triggeredRunId, triggerOnEvents } from '../../../../core/runs/triggers.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../../support/seed-data.ts';

/** A starter that records what it started; a name started twice answers `exists`. */
function recordingStarter(): RunStarter & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    async start(name) {
      if (started.includes(name)) return 'exists';
      started.push(name);
      return 'started';
    },
  };
}

let n = 0;
async function run(deps: FakeDeps, input: RunInput, finish = true): Promise<string> {
  const runId = `r${++n}`;
  const plan = await planRun(deps, input, runId);
  for (const batch of await manifestOf(deps, plan.manifestKey))
    await processBatch(deps, { jobId: input.jobId, runId, mode: input.mode, batch }, quietWorker(runId));
  if (finish) await finalizeRun(deps, { jobId: input.jobId, runId });
  return runId;
}

/** a over ds (40 ids, batches of 10); b over a's outputs, triggered; q over a's outputs, not triggered. */
async function setup() {
  const deps = fakeDeps();
  await seedDataset(deps, 'ds', 40);
  const spec = (jobId: string, datasetId: string, dependsOn?: unknown) => ({
    jobId,
    datasetId,
    processor: { name: 'noop' },
    batching: { by: 'count', size: 10 },
    ...(dependsOn ? { dependsOn } : {}),
  });
  await createJob(deps, spec('a', 'ds'));
  await createJob(deps, spec('b', 'a.outputs', [{ jobId: 'a', trigger: true }]));
  await createJob(deps, spec('q', 'a.outputs'));
  const starter = recordingStarter();
  return { deps, starter, withStarter: { ...deps, starter } };
}

const committed = (jobId: string, start: number, end: number): JobEvent => ({
  eventId: `${jobId}/B#${start}#1`,
  type: 'BatchCommitted',
  jobId,
  runId: 'x',
  at: new Date(0).toISOString(),
  detail: { scope: 'inventory', start, end },
});
const finished = (jobId: string): JobEvent => ({
  eventId: `${jobId}/run#x`,
  type: 'RunFinished',
  jobId,
  runId: 'x',
  at: new Date(0).toISOString(),
  detail: {},
});

describe('triggers', () => {
  it("starts a triggered consumer's incremental run when its producer commits, once per window", async () => {
    const { deps, starter, withStarter } = await setup();
    // Nothing READY yet: nothing to start.
    expect(await triggerOnEvents(withStarter, [committed('a', 1, 10)])).toEqual([
      { jobId: 'b', outcome: 'nothing to do' },
    ]);
    await run(deps, { jobId: 'a', mode: 'incremental' });
    const out = await triggerOnEvents(withStarter, [committed('a', 1, 10), committed('a', 11, 20)]);
    const name = triggeredRunId('b', deps.clock.now());
    expect(out).toEqual([{ jobId: 'b', outcome: 'started', runId: name }]);
    // q has no trigger; a second event of the window meets the same name.
    expect(starter.started).toEqual([name]);
    expect(await triggerOnEvents(withStarter, [committed('a', 21, 30)])).toEqual([
      { jobId: 'b', outcome: 'exists', runId: name },
    ]);
  });

  it('starts nothing beside a live run of the job', async () => {
    const { deps, starter, withStarter } = await setup();
    await run(deps, { jobId: 'a', mode: 'incremental' });
    // b's run planned and not finished: live (without a liveness port, until Finalize).
    await run(deps, { jobId: 'b', mode: 'incremental' }, false);
    await updateJobConfig(deps, 'a', { v: 2 });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 10 });
    expect(await triggerOnEvents(withStarter, [committed('a', 1, 10)])).toEqual([
      { jobId: 'b', outcome: 'running' },
    ]);
    expect(starter.started).toEqual([]);
  });

  it("looks at a job again at its own run's end, and at a producer's commit over its batches", async () => {
    const { deps, starter, withStarter } = await setup();
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 20 });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    // Nothing new for b at its own end.
    expect(await triggerOnEvents(withStarter, [finished('b')])).toEqual([
      { jobId: 'b', outcome: 'nothing to do' },
    ]);
    // a went on meanwhile (its commits' events were lost): b's own end finds it.
    await run(deps, { jobId: 'a', mode: 'incremental' });
    expect((await triggerOnEvents(withStarter, [finished('b')]))[0]?.outcome).toBe('started');
    // a commit of a range under b's batches starts b (they are stale now, or about to be).
    deps.clock.advance(60_000);
    expect((await triggerOnEvents(withStarter, [committed('a', 1, 10)]))[0]?.outcome).toBe('started');
    expect(starter.started).toHaveLength(2);
  });

  it('reconciles: starts a triggered job with stale batches or READY work, and none without a trigger', async () => {
    const { deps, starter, withStarter } = await setup();
    await run(deps, { jobId: 'a', mode: 'incremental' });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    await run(deps, { jobId: 'q', mode: 'incremental' });
    expect(await reconcileTriggers(withStarter)).toEqual([{ jobId: 'b', outcome: 'nothing to do' }]);
    await updateJobConfig(deps, 'a', { v: 2 });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 15, idEnd: 25 });
    expect((await reconcileTriggers(withStarter)).map((o) => [o.jobId, o.outcome])).toEqual([
      ['b', 'started'],
    ]);
    expect(starter.started).toHaveLength(1);
  });
});
