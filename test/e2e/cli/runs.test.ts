import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor } from '../../../cli/local/local-state.ts';
import { type CliEnv, type RunDoc, recordsFolder, runCli, startCliEnv } from './harness.ts';

type Batch = { start: number; end: number; status: string; drifted: boolean };

describe('batchkeeper CLI on the local mode: runs', () => {
  let env: CliEnv;
  const job = 'addresses';

  beforeAll(async () => {
    env = await startCliEnv('runs');
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('registers a folder of JSON Lines files and creates a job over it', async () => {
    const folder = await recordsFolder(env, 'load-1', { start: 1, count: 600, perFile: 200 });
    const reg = await env.json<{
      created: boolean;
      registered: number;
      items: number;
      highId: number;
      uploaded: unknown[];
    }>('datasets', 'register', 'companies', folder.dir);
    expect(reg.code).toBe(0);
    expect(reg.doc).toMatchObject({ created: true, registered: 3, items: 600, highId: 600 });
    expect(reg.doc.uploaded).toHaveLength(3);
    const created = await env.json<{ created: boolean; job: { batching: unknown } }>(
      'jobs',
      'create',
      job,
      '--dataset',
      'companies',
      '--processor',
      'normalize-address',
      '--batch-size',
      '50',
      '--max-concurrency',
      '4',
    );
    expect(created.code).toBe(0);
    expect(created.doc).toMatchObject({
      created: true,
      job: { batching: { by: 'count', size: 50 }, maxConcurrency: 4 },
    });
  });

  it('runs incrementally with --wait: progress on stderr, then batches, items and exceptions', async () => {
    const { code, doc, stderr } = await env.json<RunDoc>('run', job, '--wait');
    expect(code).toBe(0);
    expect(doc).toMatchObject({
      status: 'SUCCEEDED',
      runStatus: 'SUCCEEDED',
      input: { mode: 'incremental' },
    });
    expect(doc.batches).toEqual({ planned: 12, succeeded: 12, failed: 0, notDone: 0 });
    expect(doc.items.succeeded + doc.items.excepted).toBe(600);
    expect(stderr).toContain('12/12 batches, 0 failed');
  });

  it('processes only the new records on the next incremental run', async () => {
    const folder = await recordsFolder(env, 'load-2', { start: 601, count: 100, perFile: 100 });
    expect((await env.cli('datasets', 'register', 'companies', folder.dir)).code).toBe(0);
    const { code, doc } = await env.json<RunDoc>('run', job, '--wait');
    expect(code).toBe(0);
    expect(doc.batches.planned).toBe(2);
    expect(doc.items.succeeded + doc.items.excepted).toBe(100);
  });

  it('reprocesses an id range with --from/--to and shows the per-state timings of the run', async () => {
    const { code, doc } = await env.json<RunDoc>('run', job, '--from', '101', '--to', '200', '--wait');
    expect(code).toBe(0);
    expect(doc.input).toMatchObject({ mode: 'backfill', idStart: 101, idEnd: 200 });
    expect(doc.batches).toMatchObject({ planned: 2, succeeded: 2 });
    const shown = await env.cli('runs', 'show', job, doc.runId);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/state\s+count\s+succeeded\s+failed\s+total\s+min\s+p50\s+max/);
    expect(shown.stdout).toMatch(/ProcessBatch\s+2\s+2\s+0/);
  });

  it('takes a sample with --sample-every and --limit, apart from the inventory', async () => {
    const before = await env.json<{ batches: Batch[] }>('batches', job);
    const { code, doc } = await env.json<RunDoc>(
      'run',
      job,
      '--sample-every',
      '10',
      '--limit',
      '20',
      '--wait',
    );
    expect(code).toBe(0);
    expect(doc.input.mode).toBe('sample');
    expect(doc.items.succeeded + doc.items.excepted).toBe(20);
    const after = await env.json<{ batches: Batch[] }>('batches', job);
    expect(after.doc.batches).toEqual(before.doc.batches);
  });

  it('lists the drift after update-config, and a backfill brings its range back', async () => {
    const updated = await env.json<{ job: { configHash: string }; previousConfigHash: string }>(
      'jobs',
      'update-config',
      job,
      '--config',
      '{"uppercaseCity": true}',
    );
    expect(updated.code).toBe(0);
    expect(updated.doc.job.configHash).not.toBe(updated.doc.previousConfigHash);
    const drifted = await env.json<{ batches: Batch[] }>('batches', job, '--drift');
    expect(drifted.doc.batches.length).toBe(14);
    expect(drifted.doc.batches.every((b) => b.drifted && b.status === 'SUCCEEDED')).toBe(true);
    expect((await env.cli('run', job, '--from', '1', '--to', '50', '--wait')).code).toBe(0);
    const after = await env.json<{ batches: Batch[] }>('batches', job, '--drift');
    expect(after.doc.batches.map((b) => b.start)).not.toContain(1);
    expect(after.doc.batches.length).toBe(13);
    const text = await env.cli('batches', job, '--drift');
    expect(text.stdout).toContain('13 batch(es)');
  });

  it('summarises the job and lists its runs, newest first', async () => {
    const shown = await env.json<{ batches: Record<string, number>; drifted: number; itemsDone: number }>(
      'jobs',
      'show',
      job,
    );
    expect(shown.doc.batches).toMatchObject({ SUCCEEDED: 14, FAILED: 0 });
    expect(shown.doc.drifted).toBe(13);
    const runs = await env.json<{ runs: { mode: string }[] }>('runs', 'list', job);
    expect(runs.doc.runs.map((r) => r.mode)).toEqual([
      'backfill',
      'sample',
      'backfill',
      'incremental',
      'incremental',
    ]);
  });

  it('works without --local when the environment names the resources and endpoints, as on AWS', async () => {
    // The AWS code path: BATCHKEEPER_* names, AWS_ENDPOINT_URL_* endpoints and the default credential chain.
    const { code, stdout, stderr } = await runCli(['runs', 'list', job, '--json'], envFor(env.mode.state));
    expect(code, stderr).toBe(0);
    expect((JSON.parse(stdout) as { runs: unknown[] }).runs).toHaveLength(5);
  });

  it('exits 1 with the error name and message, and no stack trace, on a typed error', async () => {
    const { code, stdout, stderr } = await env.cli('jobs', 'show', 'nope');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(
      stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('npm warn')),
    ).toEqual(['JobNotFoundError: job nope does not exist']);
    const debug = await env.cli('jobs', 'show', 'nope', '--debug');
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});
