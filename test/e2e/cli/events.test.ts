import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../../core/ports/index.ts';
import { type CliEnv, ROOT, type RunDoc, recordsFolder, registryJob, startCliEnv } from './harness.ts';

type Batch = { start: number; end: number; status: string; configHash?: string };
type Tail = { jobId: string; events: JobEvent[] };

describe('batchkeeper CLI on the local mode: events tail', () => {
  let env: CliEnv;
  const job = 'feed';
  const runs: RunDoc[] = [];

  /** Records `start..start+count-1` registered into the data set, then an incremental run waited for. */
  async function loadAndRun(name: string, start: number, count: number): Promise<RunDoc> {
    const folder = await recordsFolder(env, name, { start, count, perFile: 100 });
    expect((await env.cli('datasets', 'register', 'registry', folder.dir)).code).toBe(0);
    const run = await env.json<RunDoc>('run', job, '--wait');
    expect(run.code).toBe(0);
    return run.doc;
  }

  beforeAll(async () => {
    env = await startCliEnv('events');
    await registryJob(env, {
      jobId: job,
      processor: 'normalize-address',
      batchSize: 50,
      records: { start: 1, count: 200, perFile: 100 },
    });
    const first = await env.json<RunDoc>('run', job, '--wait');
    expect(first.code).toBe(0);
    runs.push(first.doc, await loadAndRun('load-2', 201, 100));
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('tells each committed batch once and each run with its counts, in time order', async () => {
    const { code, doc } = await env.json<Tail>('events', 'tail', job);
    const inventory = await env.json<{ batches: Batch[] }>('batches', job);
    const text = await env.cli('events', 'tail', job);

    expect(code).toBe(0);
    expect(doc.jobId).toBe(job);
    const committed = doc.events.filter((e) => e.type === 'BatchCommitted');
    const succeeded = inventory.doc.batches.filter((b) => b.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(6);
    const byStart = [...committed].sort((a, b) => Number(a.detail.start) - Number(b.detail.start));
    expect(byStart.map((e) => ({ ...pick(e.detail), runId: e.runId }))).toEqual(
      succeeded.map((b) => ({ start: b.start, end: b.end, configHash: b.configHash, runId: runOf(b) })),
    );
    const ids = doc.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.events.filter((e) => e.type === 'RunFinished')).toEqual(
      runs.map((r) =>
        expect.objectContaining({ runId: r.runId, detail: expect.objectContaining(countsOf(r)) }),
      ),
    );
    const times = doc.events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(doc.events.at(-1)).toMatchObject({ type: 'RunFinished', runId: runs[1]?.runId });
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(
      /^at\s+type\s+run\s+range\s+items ok\s+excepted\s+config hash/,
    );
    expect(text.stdout).toContain('1..50');
    expect(text.stdout).toMatch(/RunFinished .*SUCCEEDED: batches 2 ok, 0 failed, 0 not done/);

    /** The run that committed the batch: its start falls in the first run's ids or the second's. */
    function runOf(b: Batch) {
      return b.start <= 200 ? runs[0]?.runId : runs[1]?.runId;
    }
  });

  it('starts at --since (inclusive) and stops after --limit', async () => {
    const all = (await env.json<Tail>('events', 'tail', job)).doc.events;
    const since = all.find((e) => e.type === 'RunFinished')?.at as string;

    const from = await env.json<Tail>('events', 'tail', job, '--since', since);
    const two = await env.json<Tail>('events', 'tail', job, '--since', since, '--limit', '2');
    const last = await env.json<Tail>('events', 'tail', job, '--limit', '3');

    expect(from.doc.events).toEqual(all.filter((e) => e.at >= since));
    expect(from.doc.events[0]).toMatchObject({ type: 'RunFinished', runId: runs[0]?.runId });
    expect(two.doc.events).toEqual(from.doc.events.slice(0, 2));
    expect(last.doc.events).toEqual(all.slice(-3));
  });

  it('refuses bad input with the flag named (exit 2) and an unknown job (exit 1), stdout empty', async () => {
    const bad = await env.cli('events', 'tail', job, '--limit', '0', '--json');
    const time = await env.cli('events', 'tail', job, '--since', 'last week');
    const missing = await env.cli('events', 'tail', 'nope', '--json');

    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(JSON.parse(bad.stderr).error).toMatchObject({
      name: 'UsageError',
      message: '--limit: must be >= 1',
    });
    expect(time.code).toBe(2);
    expect(time.stderr).toContain('error: --since: must be an ISO 8601 time');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr).error).toMatchObject({
      name: 'JobNotFoundError',
      message: 'job nope does not exist',
    });
  });

  it('--follow prints the events of a run started after it began, as JSON Lines, until Ctrl-C', async () => {
    const before = (await env.json<Tail>('events', 'tail', job)).doc.events;
    const follower = follow([
      'events',
      'tail',
      job,
      '--follow',
      '--json',
      '--local',
      '--data-dir',
      env.dataDir,
    ]);
    await follower.until((lines) => lines.length >= before.length);

    const run = await loadAndRun('load-3', 301, 50);
    await follower.until((lines) => lines.some((l) => l.type === 'RunFinished' && l.runId === run.runId));
    const { code, lines } = await follower.interrupt();

    expect(code).toBe(0);
    expect(lines.slice(0, before.length)).toEqual(before);
    const fresh = lines.slice(before.length);
    expect(fresh.map((e) => [e.type, e.runId])).toEqual([
      ['BatchCommitted', run.runId],
      ['RunFinished', run.runId],
    ]);
    expect(fresh[0]?.detail).toMatchObject({ start: 301, end: 350 });
    expect(fresh[1]?.detail).toMatchObject(countsOf(run));
  });
});

const pick = (d: JobEvent['detail']) => ({ start: d.start, end: d.end, configHash: d.configHash });

const countsOf = (r: RunDoc) => ({
  status: r.runStatus,
  batchesSucceeded: r.batches.succeeded,
  batchesFailed: r.batches.failed,
  batchesNotDone: r.batches.notDone,
  itemsSucceeded: r.items.succeeded,
  itemsExcepted: r.items.excepted,
});

/** `batchkeeper <args>` as a long-lived child: its stdout read as JSON Lines while it runs, then a SIGINT. */
function follow(args: readonly string[]) {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/bin.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = (): JobEvent[] =>
    stdout
      .split('\n')
      .slice(0, -1) // the part after the last newline is a line still being written
      .map((l) => JSON.parse(l) as JobEvent);
  return {
    async until(check: (lines: JobEvent[]) => boolean, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      while (!check(lines())) {
        if (child.exitCode !== null || Date.now() > end)
          throw new Error(`follow stopped waiting (exit ${child.exitCode}): ${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async interrupt() {
      child.kill('SIGINT');
      return { code: await closed, lines: lines(), stderr };
    },
  };
}
