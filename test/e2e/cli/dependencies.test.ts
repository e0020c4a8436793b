import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, type RunDoc, recordsFolder, registryJob, startCliEnv } from './harness.ts';

type Batch = {
  start: number;
  end: number;
  status: string;
  stale: boolean;
  completedRunId?: string;
  producersChanged: { kind: string; changed: string } | null;
};
type GraphDoc = {
  jobs: { jobId: string; backlog: number; waiting: number; openBatches: number; staleBatches: number }[];
  edges: { from: string; to: string; trigger: boolean }[];
  mermaid?: string;
};
type Outcome = { jobId: string; outcome: string; runId?: string };

/**
 * Jobs over jobs through the CLI on the local mode: b reads a's outputs (a -> b). a runs over part of the data
 * set and the graph shows each backlog; a finishes, b takes part of what a has READY; a backfills a range with
 * a changed config, the batch of b over it is stale, and b's next incremental run redoes exactly it. Then c
 * waits on a with a trigger, and a reconcile starts the run c is owed.
 */
describe('batchkeeper CLI on the local mode: jobs over jobs', () => {
  let env: CliEnv;
  // 300 records in batches of 50: a's batches are 1-50, 51-100, ...
  const size = 50;

  beforeAll(async () => {
    // No periodic reconcile during the test: the one reconcile that runs is the command's.
    env = await startCliEnv('dependencies', { reconcileMs: 24 * 3600_000 });
    await registryJob(env, {
      jobId: 'a',
      processor: 'noop',
      batchSize: size,
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
      String(size),
    );
    expect(b.code).toBe(0);
  });

  afterAll(async () => {
    await env?.stop();
  });

  const graph = async () => (await env.json<GraphDoc>('graph')).doc;
  const figures = async () =>
    Object.fromEntries(
      (await graph()).jobs.map((j) => [j.jobId, [j.backlog, j.waiting, j.openBatches, j.staleBatches]]),
    );
  const staleOf = async (jobId: string) =>
    (await env.json<{ batches: Batch[] }>('batches', jobId, '--stale')).doc.batches;
  const runWait = async (...args: string[]) => {
    const r = await env.json<RunDoc>('run', ...args, '--wait');
    expect(r.code, r.stderr).toBe(0);
    return r.doc;
  };

  it("shows b's producer and a's dependent", async () => {
    const shown = await env.json<{ producers: unknown[]; dependents: unknown[] }>('jobs', 'show', 'b');
    expect(shown.doc).toMatchObject({ producers: [{ jobId: 'a', trigger: false }], dependents: [] });
    const a = await env.cli('jobs', 'show', 'a');
    expect(a.stdout).toMatch(/depends on\s+-\n/);
    expect(a.stdout).toMatch(/dependents\s+b\n/);
    const refused = await env.cli(
      'jobs',
      'create',
      'x',
      '--dataset',
      'registry',
      '--processor',
      'noop',
      '--depends-on',
      'zz',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--depends-on: must name an existing job (zz)');
  });

  it('graph: the backlog of a over its data set, of b up to what a has READY', async () => {
    const ran = await runWait('a', '--max-batches', '3');
    expect(ran.batches).toMatchObject({ planned: 3, succeeded: 3 });
    // a: ids 151..300 to go; b: a's 150 READY ids, nothing waits (a's outputs end where a's inventory does).
    expect(await figures()).toEqual({ a: [150, 0, 0, 0], b: [150, 0, 0, 0] });
    expect((await graph()).edges).toEqual([{ from: 'a', to: 'b', trigger: false }]);

    const text = await env.cli('graph');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('2 job(s), 1 dependency');
    expect(lines[2]).toMatch(/^a\s+registry\s+-\s+150\s+0\s+0\s+0\s+0\s+ACTIVE$/);
    expect(lines[3]).toMatch(/^b\s+a\.outputs\s+a\s+150\s+0\s+0\s+0\s+0\s+ACTIVE$/);

    const mermaid = await env.cli('graph', '--format', 'mermaid');
    expect(mermaid.stdout).toBe(
      [
        '```mermaid',
        'flowchart LR',
        '  j0["a<br/>backlog 150<br/>open 0, stale 0"]',
        '  j1["b<br/>backlog 150<br/>open 0, stale 0"]',
        '  j0 --> j1',
        '```',
        '',
      ].join('\n'),
    );
  });

  it("a backfill of a with a changed config makes exactly b's batch over it stale, and b's next run redoes it", async () => {
    expect((await runWait('a')).batches).toMatchObject({ planned: 3, succeeded: 3 });
    expect((await runWait('b', '--max-batches', '3')).batches).toMatchObject({ planned: 3, succeeded: 3 });
    expect(await figures()).toEqual({ a: [0, 0, 0, 0], b: [150, 0, 0, 0] });
    const before = (await env.json<{ batches: Batch[] }>('batches', 'b')).doc.batches;

    expect((await env.cli('jobs', 'update-config', 'a', '--config', '{"v":2}')).code).toBe(0);
    expect((await runWait('a', '--from', '51', '--to', '100')).batches).toMatchObject({ planned: 1 });

    const stale = await staleOf('b');
    expect(stale.map((b) => [b.start, b.end, b.status, b.stale])).toEqual([[51, 100, 'SUCCEEDED', true]]);
    expect(stale[0]?.producersChanged).toEqual({
      kind: 'stale',
      changed: expect.stringMatching(/^a 51-100 \(\d{4}-/),
    });
    const listed = await env.cli('batches', 'b', '--stale');
    expect(listed.stdout).toMatch(/ {2}51\.\.100 {2}SUCCEEDED {2}changed: a 51-100 \(/);
    expect(listed.stdout).toContain('stale: redo with  batchkeeper run b  (an incremental run');
    expect(await figures()).toEqual({ a: [0, 0, 0, 0], b: [150, 0, 0, 1] });

    // One batch: the incremental plan takes the stale one first, and no new range beside it.
    const redo = await runWait('b', '--max-batches', '1');
    expect(redo.batches).toMatchObject({ planned: 1, succeeded: 1, failed: 0 });
    expect(await staleOf('b')).toEqual([]);
    const after = (await env.json<{ batches: Batch[] }>('batches', 'b')).doc.batches;
    // Exactly 51-100 was redone by that run; the others keep the run that did them.
    expect(after.map((b) => [b.start, b.end, b.completedRunId])).toEqual(
      before.map((b) => [b.start, b.end, b.start === 51 ? redo.runId : b.completedRunId]),
    );
    expect(await figures()).toEqual({ a: [0, 0, 0, 0], b: [150, 0, 0, 0] });
  });

  it('triggers reconcile starts the run a triggered job is owed, once', async () => {
    // New records that a has not run over yet: c, waiting on a, may take only the first 300 ids.
    const more = await recordsFolder(env, 'load-2', { start: 301, count: 50, perFile: 50 });
    expect((await env.cli('datasets', 'register', 'registry', more.dir)).code).toBe(0);
    const c = await env.cli(
      'jobs',
      'create',
      'c',
      '--dataset',
      'registry',
      '--processor',
      'noop',
      '--batch-size',
      String(size),
      '--depends-on',
      'a:trigger',
    );
    expect(c.code, c.stderr).toBe(0);
    expect((await env.cli('jobs', 'show', 'a')).stdout).toMatch(/dependents\s+b, c \(trigger\)\n/);
    expect((await figures()).c).toEqual([300, 50, 0, 0]);
    expect((await env.cli('graph', '--format', 'mermaid')).stdout).toContain('  j0 -->|trigger| j2\n');

    const reconciled = await env.json<{ outcomes: Outcome[] }>('triggers', 'reconcile');
    expect(reconciled.code).toBe(0);
    const [started] = reconciled.doc.outcomes;
    expect(reconciled.doc.outcomes).toEqual([
      { jobId: 'c', outcome: 'started', runId: expect.stringMatching(/^trig-c-\d+$/) },
    ]);
    await untilEnded(started?.runId as string);
    const run = await env.json<{ run: { status: string; batchesPlanned: number } }>(
      'runs',
      'show',
      'c',
      started?.runId as string,
    );
    expect(run.doc.run).toMatchObject({ status: 'SUCCEEDED', batchesPlanned: 6 });

    // Nothing more is owed until a commits again: a second reconcile starts nothing.
    const again = await env.json<{ outcomes: Outcome[] }>('triggers', 'reconcile');
    expect(again.doc.outcomes).toEqual([{ jobId: 'c', outcome: 'nothing to do' }]);
    const text = await env.cli('triggers', 'reconcile');
    expect(text.stdout).toMatch(/^1 triggered job\(s\), 0 run\(s\) started\n/);
    expect(await figures()).toEqual({ a: [50, 0, 0, 0], b: [150, 0, 0, 0], c: [0, 50, 0, 0] });
  });

  /** Wait for the execution of a run to end (the run a reconcile started). */
  async function untilEnded(runId: string): Promise<void> {
    const arn = env.mode.state.stateMachineArn.replace(':stateMachine:', ':execution:');
    for (;;) {
      const d = await env.mode.clients.sfn.send(
        new DescribeExecutionCommand({ executionArn: `${arn}:${runId}` }),
      );
      if (d.status !== 'RUNNING') return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
});
