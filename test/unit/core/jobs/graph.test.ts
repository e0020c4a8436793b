import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunInput } from '../../../../core/events.ts';
import { type GraphJob, jobGraph } from '../../../../core/jobs/graph.ts';
import { createJob, deleteJob, updateJobConfig } from '../../../../core/jobs/jobs.ts';
import { producerStaleness } from '../../../../core/jobs/producer-stale.ts';
import type { Job } from '../../../../core/model.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { builtinProcessors } from '../../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../../core/processors/registry.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../../support/seed-data.ts';

const add = defineProcessor({
  name: 'add',
  version: '1',
  configSchema: z.strictObject({ add: z.number().default(1) }),
  itemSchema: z.object({ n: z.number() }),
  processItem: (item, { ctx }) => ({ n: item.n + ctx.config.add }),
});

/**
 * ds: 100 ids. a over ds, b over a's outputs, c over b's outputs (a -> b -> c), d over ds naming a with a
 * trigger; batches of 10.
 */
async function chain(): Promise<FakeDeps> {
  const deps = fakeDeps({ processors: createRegistry([...builtinProcessors, add]) });
  await seedDataset(deps, 'ds', 100, { chunk: 50 });
  const job = (jobId: string, datasetId: string, more: Record<string, unknown> = {}) =>
    createJob(deps, {
      jobId,
      datasetId,
      processor: { name: 'add' },
      batching: { by: 'count', size: 10 },
      ...more,
    });
  await job('a', 'ds');
  await job('b', 'a.outputs');
  await job('c', 'b.outputs');
  await job('d', 'ds', { dependsOn: [{ jobId: 'a', trigger: true }] });
  return deps;
}

let runs = 0;
/** Plan, process every batch in order, finalize; the clock moves on a second per run. */
async function run(deps: FakeDeps, input: RunInput): Promise<void> {
  deps.clock.advance(1_000);
  const runId = `run-${++runs}`;
  const plan = await planRun(deps, input, runId);
  for (const batch of await manifestOf(deps, plan.manifestKey)) {
    await processBatch(
      deps,
      { jobId: input.jobId, runId, mode: input.mode, batch },
      quietWorker(`w-${runId}-${batch.start}`),
    );
  }
  await finalizeRun(deps, { jobId: input.jobId, runId });
}

/** Per job: [backlog, waiting, open, stale, reopened]. */
async function figures(deps: FakeDeps): Promise<Record<string, (number | null)[]>> {
  const { jobs } = await jobGraph(deps);
  const row = (j: GraphJob) => [j.backlog, j.waiting, j.openBatches, j.staleBatches, j.reopenedBatches];
  return Object.fromEntries(jobs.map((j) => [j.jobId, row(j)]));
}

const jobOf = async (deps: FakeDeps, jobId: string) => (await deps.jobs.getJob(jobId)) as Job;

describe('jobGraph', () => {
  it('lists producers before consumers, with every edge and whether it triggers', async () => {
    const deps = await chain();
    const graph = await jobGraph(deps);
    expect(graph.jobs.map((j) => j.jobId)).toEqual(['a', 'b', 'c', 'd']);
    expect(graph.edges).toEqual([
      { from: 'a', to: 'b', trigger: false },
      { from: 'a', to: 'd', trigger: true },
      { from: 'b', to: 'c', trigger: false },
    ]);
    expect(graph.jobs.find((j) => j.jobId === 'd')?.producers).toEqual([{ jobId: 'a', trigger: true }]);
  });

  it("counts a job's backlog up to its producers' READY frontier, and what waits on them", async () => {
    const deps = await chain();
    // Nothing done: a has its whole data set; b reads a's outputs (none yet); d waits on a for every id.
    expect(await figures(deps)).toEqual({
      a: [100, 0, 0, 0, 0],
      b: [0, 0, 0, 0, 0],
      c: [0, 0, 0, 0, 0],
      d: [0, 100, 0, 0, 0],
    });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 40 });
    expect(await figures(deps)).toEqual({
      a: [60, 0, 0, 0, 0],
      b: [40, 0, 0, 0, 0],
      c: [0, 0, 0, 0, 0],
      d: [40, 60, 0, 0, 0],
    });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    await run(deps, { jobId: 'd', mode: 'incremental' });
    expect(await figures(deps)).toEqual({
      a: [60, 0, 0, 0, 0],
      b: [0, 0, 0, 0, 0],
      c: [40, 0, 0, 0, 0],
      d: [0, 60, 0, 0, 0],
    });
  });

  it('counts the batches stale against producers, then those reopened, until a run redoes them', async () => {
    const deps = await chain();
    for (const jobId of ['a', 'b', 'c', 'd']) await run(deps, { jobId, mode: 'incremental' });
    await updateJobConfig(deps, 'a', { add: 2 });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 25, idEnd: 44 });
    expect(await figures(deps)).toMatchObject({ b: [0, 0, 0, 3, 0], c: [0, 0, 0, 0, 0], d: [0, 0, 0, 3, 0] });

    const stale = await producerStaleness(deps, await jobOf(deps, 'b'));
    expect([...stale.values()].map((s) => [s.start, s.end, s.kind])).toEqual([
      [21, 30, 'stale'],
      [31, 40, 'stale'],
      [41, 50, 'stale'],
    ]);
    // Only the part of a's batch that was redone changed under b's 21-30, not the part split off before 25.
    expect(stale.get(21)?.changed).toMatch(/^a 25-30 \(\d{4}-/);

    // One batch per run: the plan reopens all three and takes one; the other two wait, reopened.
    await run(deps, { jobId: 'b', mode: 'incremental', maxBatches: 1 });
    expect((await figures(deps)).b).toEqual([0, 0, 2, 0, 2]);
    const reopened = await producerStaleness(deps, await jobOf(deps, 'b'));
    expect([...reopened.values()].map((s) => [s.start, s.kind])).toEqual([
      [31, 'reopened'],
      [41, 'reopened'],
    ]);
    expect(reopened.get(31)?.changed).toContain('a 31-40');
    await run(deps, { jobId: 'b', mode: 'incremental' });
    expect((await figures(deps)).b).toEqual([0, 0, 0, 0, 0]);
    expect(await producerStaleness(deps, await jobOf(deps, 'b'))).toEqual(new Map());
    // c read b's batches that were redone: now its own are stale.
    expect((await figures(deps)).c).toEqual([0, 0, 0, 3, 0]);
  });

  it('shows a producer that is gone as MISSING, its consumers still pointing at it', async () => {
    const deps = await chain();
    await deleteJob(deps, 'd');
    await deleteJob(deps, 'a', { force: true });
    const graph = await jobGraph(deps);
    expect(graph.jobs.map((j) => [j.jobId, j.state])).toEqual([
      ['a', 'MISSING'],
      ['b', 'ACTIVE'],
      ['c', 'ACTIVE'],
    ]);
    expect(graph.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['a->b', 'b->c']);
    expect(graph.jobs[0]).toMatchObject({ backlog: null, openBatches: null, staleBatches: null });
  });
});
