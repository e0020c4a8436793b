import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobHistory } from '../../../core/jobs/history.ts';
import { type CliEnv, registryJob, startCliEnv } from './harness.ts';

describe('batchkeeper CLI on the local mode: jobs history', () => {
  let env: CliEnv;
  const job = 'history';

  beforeAll(async () => {
    env = await startCliEnv('jobs-history');
    await registryJob(env, {
      jobId: job,
      processor: 'normalize-address',
      batchSize: 50,
      records: { start: 1, count: 200, perFile: 100 },
    });
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('tells a job’s creation, config change, runs, attempts and splits in time order', async () => {
    expect((await env.cli('run', job, '--wait')).code).toBe(0);
    expect((await env.cli('jobs', 'update-config', job, '--config', '{"uppercaseCity": true}')).code).toBe(0);
    expect((await env.cli('run', job, '--from', '20', '--to', '80', '--wait')).code).toBe(0);

    const { code, doc } = await env.json<JobHistory>('jobs', 'history', job);
    const text = await env.cli('jobs', 'history', job, '--kind', 'batch-split', '--newest-first');

    expect(code).toBe(0);
    const kinds = doc.events.map((e) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['job-created', 'run-planned']);
    expect(kinds.filter((k) => k === 'attempt-ended')).toHaveLength(4 + 2);
    expect(kinds.indexOf('config-changed')).toBeGreaterThan(kinds.indexOf('run-finished'));
    expect(doc.events.filter((e) => e.kind === 'batch-split').map((e) => e.range)).toEqual([
      { start: 1, end: 50 },
      { start: 51, end: 100 },
    ]);
    expect(kinds.at(-1)).toBe('run-finished');
    const times = doc.events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^at\s+kind\s+run\s+range\s+detail/);
    expect(text.stdout).toContain('51..100');
    expect(text.stdout).toContain('parts=51..80,81..100');
  });

  it('refuses a bad window with a usage error naming the flag, and an unknown job with exit 1', async () => {
    const bad = await env.cli('jobs', 'history', job, '--since', '2026-02-01', '--until', '2026-01-01');
    const missing = await env.cli('jobs', 'history', 'nope');

    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('--since: must be <= --until');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('job nope does not exist');
  });
});
