import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemException } from '../../../core/model.ts';
import { type CliEnv, ROOT, type RunDoc, registryJob, startCliEnv } from '../cli/harness.ts';
import { type ConsoleSession, openConsole } from './support.ts';

const JOB = 'companies';
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** Long enough for a run on a loaded machine; the tests wait on the page, they measure nothing. */
const RUN_WAIT_MS = 300_000;

/**
 * The console in headless Chromium over the local mode with real data: job `companies` over 1,000 generated
 * records (a fifth of them bad, set aside as exceptions), 100 per batch; run 1 processed the first 6 batches, a
 * sample run every 37th id. Each view shows the figures the CLI and the inventory hold; a backfill started in the
 * page runs to its end; a bulk resolve changes exactly the filtered exceptions; calls without the token, and
 * cross-site calls, are refused.
 */
describe('batchkeeper console in a browser, on the local mode', () => {
  let env: CliEnv;
  let c: ConsoleSession;
  let firstRun: RunDoc;

  beforeAll(async () => {
    env = await startCliEnv('console');
    await registryJob(env, {
      jobId: JOB,
      processor: 'normalize-address',
      batchSize: 100,
      records: { start: 1, count: 1_000, perFile: 500, badRate: 0.2 },
    });
    const run = await env.json<RunDoc>('run', JOB, '--max-batches', '6', '--wait');
    expect(run.code, run.stderr).toBe(0);
    firstRun = run.doc;
    const sample = await env.json<RunDoc>('run', JOB, '--sample-every', '37', '--limit', '20', '--wait');
    expect(sample.code, sample.stderr).toBe(0);
    c = await openConsole(env);
  });

  afterAll(async () => {
    await c?.stop();
    await env?.stop();
  });

  const text = (testId: string) =>
    c.page
      .getByTestId(testId)
      .first()
      .textContent()
      .then((t) => t ?? '');
  const number = async (testId: string) => Number((await text(testId)).replace(/[^0-9.]/g, ''));
  const openExceptions = async () => {
    const r = await env.json<{ exceptions: ItemException[] }>('exceptions', 'list', JOB, '--status', 'OPEN');
    return r.doc.exceptions;
  };

  it('jobs: backlog, batches, open exceptions and the last run as the CLI has them', async () => {
    await c.open('#/');
    await c.page.getByTestId(`job-${JOB}`).waitFor();

    expect(await number(`backlog-${JOB}`)).toBe(400);
    expect(await text(`batches-${JOB}`)).toBe('6 done, 0 failed');
    expect(await number(`open-${JOB}`)).toBe((await openExceptions()).length);
    expect(await c.page.getByTestId('jobs-table').textContent()).toContain('sample');
  });

  it('a job: the range map over the whole id space, the gap finder, batches with their preflight answers', async () => {
    await c.open(`#/jobs/${JOB}`);
    await c.page.locator('[data-testid=range-map][data-rendered]').waitFor();

    expect(await number('total-done')).toBe(600);
    expect(await number('total-never')).toBe(400);
    expect(await number('total-sample')).toBe(20);
    expect(await number('items-done')).toBe(firstRun.items.succeeded);
    expect(await text('map-window')).toContain('ids 1..1,000');

    await c.page.getByTestId('next-gap').click();
    await c.page.locator('[data-testid=map-window]', { hasText: /^ids 501\.\./ }).waitFor();
    expect(await text('gap-count')).toContain('1 gap(s)');
    expect(await c.page.getByTestId('gap-list').textContent()).toContain('601..1,000');

    await c.page.getByTestId('zoom-reset').click();
    await c.page.getByTestId('batch-1').waitFor();
    await c.page.getByTestId('attempts-1').click();
    expect(await c.page.locator('table.attempts tbody tr').first().locator('.yes').count()).toBe(5);
  });

  it('runs: one row per run, and a run with its counts, per-state timings and timeline', async () => {
    await c.open(`#/jobs/${JOB}/runs`);
    await c.page.getByTestId(`run-${firstRun.runId}`).click();
    await c.page.getByTestId('gantt').waitFor();

    expect(await number('run-planned')).toBe(6);
    expect(await number('run-succeeded')).toBe(firstRun.batches.succeeded);
    expect(await number('run-items')).toBe(firstRun.items.succeeded);
    expect(await c.page.getByTestId('gantt').getAttribute('data-rows')).toBe('6');
    expect(await c.page.getByTestId('state-table').textContent()).toContain('ProcessBatch');
  });

  it('start a run: a backfill previewed, then started from the page, runs to its end', async () => {
    await c.open(`#/jobs/${JOB}/start`);
    await c.page.getByTestId('input-mode').selectOption('backfill');
    await c.page.getByTestId('input-idStart').fill('1');
    await c.page.getByTestId('input-idEnd').fill('250');
    await c.page.getByTestId('preview-run').click();
    await c.page.getByTestId('preview-batches').waitFor();

    expect(await number('preview-batches')).toBe(3);
    expect(await number('preview-items')).toBe(250);
    expect(await text('preview-cost')).toMatch(/^\$0\.0/);

    await c.page.getByTestId('start-run').click();
    await c.page
      .locator('[data-testid=run-status]', { hasText: /^SUCCEEDED$/ })
      .waitFor({ timeout: RUN_WAIT_MS });
    const runId = decodeURIComponent(c.page.url().split('/runs/')[1] ?? '');
    const run = await c.deps.runs.getRun(JOB, runId);
    expect(run).toMatchObject({
      mode: 'backfill',
      idStart: 1,
      idEnd: 250,
      status: 'SUCCEEDED',
      batchesPlanned: 3,
    });
    expect(await number('run-succeeded')).toBe(3);
  });

  it('exceptions: a bulk resolve by kind and range changes exactly the filtered exceptions', async () => {
    const before = await openExceptions();
    const kind = (before[0] as ItemException).kind;
    const hit = (x: ItemException) => x.kind === kind && x.itemId >= 100 && x.itemId <= 400;
    const expected = before.filter(hit).map((x) => x.exceptionId);
    expect(expected.length).toBeGreaterThan(0);

    await c.open(`#/jobs/${JOB}/exceptions`);
    await c.page.getByTestId('filter-kind').selectOption([kind]);
    await c.page.getByTestId('filter-from').fill('100');
    await c.page.getByTestId('filter-to').fill('400');
    await c.page.getByTestId('apply-filter').click();
    await c.page.locator(`[data-testid=exceptions-table][data-rows="${expected.length}"]`).waitFor();
    await c.page.getByTestId('note').fill('bad rows from the 2026 load, fixed upstream');
    await c.page.getByTestId('resolve-filtered').click();
    await c.page.getByTestId('review-result').getByText(`resolved ${expected.length}`).waitFor();

    const after = await openExceptions();
    expect(after.map((x) => x.exceptionId)).toEqual(before.filter((x) => !hit(x)).map((x) => x.exceptionId));
    for (const id of expected) {
      const x = await c.deps.exceptions.get(JOB, id);
      expect(x).toMatchObject({ status: 'RESOLVED', note: 'bad rows from the 2026 load, fixed upstream' });
    }
  });

  it('refuses an API call without the token, and a state-changing call from another site', async () => {
    const base = `http://127.0.0.1:${c.server.port}`;
    const noToken = await fetch(`${base}/api/jobs`);
    const crossSite = await fetch(`${base}/api/jobs/${JOB}/exceptions/resolve`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-batchkeeper-token': c.server.token,
        origin: 'http://evil.example',
      },
      body: JSON.stringify({ all: true, note: 'x' }),
    });
    expect(noToken.status).toBe(401);
    expect(crossSite.status).toBe(403);

    // A page of another origin in the same browser: its POST carries no token and reaches no handler.
    const open = (await openExceptions()).length;
    const evil = await evilSite(`${base}/api/jobs/${JOB}/exceptions/resolve`);
    try {
      const page = await c.browser.newPage();
      await page.goto(evil.url);
      await page.waitForFunction('window.done === true');
      await page.close();
    } finally {
      await new Promise((r) => evil.server.close(r));
    }
    expect(await openExceptions()).toHaveLength(open);
    expect(open).toBeGreaterThan(0);
  });
});

describe('batchkeeper console, the command', () => {
  let env: CliEnv;
  beforeAll(async () => {
    env = await startCliEnv('console-cli');
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('prints its loopback URL with the token, serves the API with it, and stops on SIGTERM', async () => {
    const child = spawn(TSX, ['cli/bin.ts', 'console', '--local', '--data-dir', env.dataDir, '--json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const printed = JSON.parse(line) as { url: string; port: number; token: string; target: string };
      expect(printed.url).toBe(`http://127.0.0.1:${printed.port}/?token=${printed.token}`);
      expect(printed.target).toBe('local');

      const api = `http://127.0.0.1:${printed.port}/api/jobs`;
      const withToken = await fetch(api, { headers: { 'x-batchkeeper-token': printed.token } });
      const without = await fetch(api);
      expect(withToken.status).toBe(200);
      expect(await withToken.json()).toEqual({ jobs: [] });
      expect(without.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** A page on another loopback port that tries to resolve every exception through the console. */
async function evilSite(target: string): Promise<{ server: Server; url: string }> {
  const html = `<!doctype html><script>
    Promise.allSettled([
      fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"all":true,"note":"x"}' }),
      fetch(${JSON.stringify(target)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"all":true,"note":"x"}' }),
    ]).then(() => { window.done = true; });
  </script>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}
