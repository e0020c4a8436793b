import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobGraph } from '../../../core/jobs/graph.ts';
import { type CliEnv, type RunDoc, registryJob, startCliEnv } from '../cli/harness.ts';
import { type ConsoleSession, openConsole } from './support.ts';

/**
 * The dependency graph view in headless Chromium over the local mode: b reads a's outputs (a -> b), 300 records
 * in batches of 50; a processed 150 ids, b the first 50 of them. The page draws both jobs with the edge, b right
 * of a, with the figures the API answers, the Mermaid text of `graph --format mermaid`, and a job opens its view.
 */
describe('batchkeeper console in a browser: the dependency graph', () => {
  let env: CliEnv;
  let c: ConsoleSession;

  beforeAll(async () => {
    // No periodic reconcile: nothing runs but what the test starts.
    env = await startCliEnv('console-graph', { reconcileMs: 24 * 3600_000 });
    await registryJob(env, {
      jobId: 'a',
      processor: 'noop',
      batchSize: 50,
      records: { start: 1, count: 300, perFile: 100 },
    });
    const b = await env.cli(
      'jobs',
      'create',
      'b',
      '--dataset',
      'a.outputs',
      '--processor',
      'noop',
      '--batch-size',
      '50',
    );
    expect(b.code, b.stderr).toBe(0);
    for (const [jobId, batches] of [
      ['a', '3'],
      ['b', '1'],
    ] as const) {
      const run = await env.json<RunDoc>('run', jobId, '--max-batches', batches, '--wait');
      expect(run.code, run.stderr).toBe(0);
    }
    c = await openConsole(env);
  });

  afterAll(async () => {
    await c?.stop();
    await env?.stop();
  });

  const text = async (testId: string) => (await c.page.getByTestId(testId).first().textContent()) ?? '';
  const api = async (): Promise<JobGraph & { mermaid: string }> => {
    const res = await fetch(`http://127.0.0.1:${c.server.port}/api/graph`, {
      headers: { 'x-batchkeeper-token': c.server.token },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as JobGraph & { mermaid: string };
  };

  it('draws both jobs and the edge a -> b, with the figures the API reports', async () => {
    await c.open('#/');
    await c.page.getByTestId('nav-graph').click();
    await c.page.getByTestId('graph-job-b').waitFor();
    const doc = await api();
    const b = doc.jobs.find((j) => j.jobId === 'b');

    expect(b).toMatchObject({ backlog: 100, waiting: 0, openBatches: 0, staleBatches: 0 });
    expect(await text('graph-backlog-b')).toBe(String(b?.backlog));
    expect(await text('graph-backlog-a')).toBe('150');
    expect(await text('graph-edges')).toBe('1');
    const edge = c.page.getByTestId('graph-edge-a-b');
    expect(await edge.count()).toBe(1);
    expect(await edge.getAttribute('data-trigger')).toBe('false');
    const [boxA, boxB] = await Promise.all(
      ['a', 'b'].map((j) => c.page.getByTestId(`graph-job-${j}`).boundingBox()),
    );
    expect(boxA && boxB && boxB.x > boxA.x + boxA.width).toBe(true);
    expect(await text('graph-mermaid')).toBe(`\`\`\`mermaid\n${doc.mermaid}\`\`\`\n`);
    expect(doc.mermaid).toContain('  j0 --> j1\n');
  });

  it("opens a job's view when its box is clicked, which names the jobs it waits on", async () => {
    await c.open('#/graph');
    await c.page.getByTestId('graph-job-b').click();
    await c.page.getByTestId('nav-job').waitFor();

    expect(new URL(c.page.url()).hash).toBe('#/jobs/b');
    expect(await text('nav-job')).toBe('b');
    await c.page.getByTestId('job-producers').waitFor();
    expect(await text('job-producers')).toBe('waits on: a');
    expect(await text('job-consumers')).toBe('waited on by: -');
  });
});
