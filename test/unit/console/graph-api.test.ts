import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mermaidOf } from '../../../cli/commands/graph.ts';
import { jobGraph } from '../../../core/jobs/graph.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import { finalizeRun } from '../../../core/runs/finalize-run.ts';
import { type FakeDeps, fakeDeps } from '../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../support/seed-data.ts';
import { type ConsoleEnv, serveConsole } from './console-env.ts';

const add = defineProcessor({
  name: 'add',
  version: '1',
  configSchema: z.strictObject({}),
  itemSchema: z.object({ n: z.number() }),
  processItem: (item) => ({ n: item.n + 1 }),
});

/** ds: 100 ids in batches of 10. a over ds, b over a's outputs, c over b's outputs; d waits on a with a trigger. */
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
  // a processes ids 1-40: b has 40 READY ids, d waits on a for the other 60.
  const plan = await planRun(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 40 }, 'run-a');
  for (const batch of await manifestOf(deps, plan.manifestKey))
    await processBatch(deps, { jobId: 'a', runId: 'run-a', mode: 'backfill', batch }, quietWorker('w'));
  await finalizeRun(deps, { jobId: 'a', runId: 'run-a' });
  return deps;
}

describe('the console API: the dependency graph', () => {
  let env: ConsoleEnv;
  beforeAll(async () => {
    env = await serveConsole(await chain());
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('answers jobGraph with the Mermaid text of `graph --format mermaid`', async () => {
    const r = await env.api('/api/graph');

    expect(r.status).toBe(200);
    const graph = await jobGraph(env.deps);
    expect(r.doc).toEqual(JSON.parse(JSON.stringify({ ...graph, mermaid: mermaidOf(graph) })));
  });

  it('lists producers first with their figures, and every edge with whether it triggers', async () => {
    const { doc } = await env.api('/api/graph');
    const jobs = doc.jobs as { jobId: string; backlog: number; waiting: number; openBatches: number }[];

    expect(jobs.map((j) => [j.jobId, j.backlog, j.waiting, j.openBatches])).toEqual([
      ['a', 60, 0, 0],
      ['b', 40, 0, 0],
      ['c', 0, 0, 0],
      ['d', 40, 60, 0],
    ]);
    expect(doc.edges).toEqual([
      { from: 'a', to: 'b', trigger: false },
      { from: 'a', to: 'd', trigger: true },
      { from: 'b', to: 'c', trigger: false },
    ]);
    expect(doc.mermaid).toContain('  j0 -->|trigger| j3\n');
  });

  it("counts in the jobs view a consumer's backlog up to its producer's last output, as it grows", async () => {
    const { doc } = await env.api('/api/jobs?fresh=1');
    const backlog = Object.fromEntries(
      (doc.jobs as { job: { jobId: string }; backlog: number }[]).map((o) => [o.job.jobId, o.backlog]),
    );

    // b: a's 40 outputs, none processed yet; c: b has no output yet.
    expect(backlog).toEqual({ a: 60, b: 40, c: 0, d: 100 });
  });

  it('refuses a call without the token, and a query it does not know', async () => {
    const noToken = await env.api('/api/graph', { token: null });
    const unknown = await env.api('/api/graph?depth=2');

    expect(noToken.status).toBe(401);
    expect(noToken.doc.error).toMatchObject({ name: 'ConsoleTokenError' });
    expect(unknown.status).toBe(400);
    expect(unknown.doc.error).toMatchObject({ name: 'ValidationError' });
  });
});
