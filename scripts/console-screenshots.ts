// Takes the screenshots of docs/console-*.png: the local mode with a data set of generated company records, a
// job with runs, drift, a sample and exceptions, jobs that depend on it (one over its outputs, stale after its
// backfill; one with a trigger; one over the consumer's outputs), the console over it, and headless Chromium on each
// main view.
//   npx tsx scripts/console-screenshots.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { main } from '../cli/commands/main.ts';
import { writeChunks } from '../cli/demo/data.ts';
import { startLocal } from '../cli/local/local-up.ts';
import { memoryIo } from '../cli/output.ts';
import { targetFromLocalState } from '../cli/target.ts';
import { backendOf } from '../console/api/backend.ts';
import { startConsole } from '../console/server.ts';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const JOB = 'companies';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = await mkdtemp(join(tmpdir(), 'bk-console-shots-'));
// No periodic reconcile: the triggered job's backlog stays as the graph shows it.
const local = await startLocal({ dataDir, logLevel: 'ERROR', reconcileMs: 24 * 3600_000 });

/** A CLI command on the local mode, in this process; its JSON document. */
async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const io = memoryIo();
  const code = await main([...args, '--local', '--data-dir', dataDir, '--json'], io);
  if (code !== 0) throw new Error(`${args.join(' ')}: exit ${code}\n${io.stderr}`);
  return JSON.parse(io.stdout || '{}');
}

try {
  const folder = await writeChunks(join(dataDir, 'records'), {
    seed: 7,
    start: 1,
    count: 20_000,
    perFile: 2_000,
    badRate: 0.08,
  });
  await cli('datasets', 'register', 'registry', folder.dir);
  await cli(
    'jobs',
    'create',
    JOB,
    '--dataset',
    'registry',
    '--processor',
    'normalize-address',
    '--batch-size',
    '200',
  );
  const consumer = (jobId: string, dataset: string, ...more: string[]) =>
    cli('jobs', 'create', jobId, '--dataset', dataset, '--processor', 'noop', '--batch-size', '500', ...more);
  await consumer('geocoded', `${JOB}.outputs`);
  await cli('run', JOB, '--max-batches', '60', '--wait');
  // geocoded reads ids 1-6000 of the job's outputs; the backfill below redoes them, so they become stale.
  await cli('run', 'geocoded', '--max-batches', '12', '--wait');
  await cli('jobs', 'update-config', JOB, '--config', '{"uppercaseCity": true}');
  await cli('run', JOB, '--from', '1', '--to', '8000', '--wait');
  const backfill = (await cli('runs', 'list', JOB)) as { runs: { runId: string }[] };
  await cli('run', JOB, '--sample-every', '97', '--limit', '150', '--wait');
  await consumer('audit', 'registry', '--depends-on', `${JOB}:trigger`);
  await consumer('report', 'geocoded.outputs');

  const server = await startConsole({ backend: backendOf(targetFromLocalState(local.state)) });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(`${server.url}#/`);
    await shot(page, 'console-jobs.png', `job-${JOB}`);
    await page.goto(`http://127.0.0.1:${server.port}/#/jobs/${JOB}`);
    await page.locator('[data-testid=range-map][data-rendered]').waitFor();
    await page.getByTestId('find-gaps').click();
    await page.getByTestId('gap-list').waitFor();
    await page.getByTestId(`attempts-1`).click();
    await shot(page, 'console-job.png', 'batch-table');
    await page.goto(`http://127.0.0.1:${server.port}/#/jobs/${JOB}/runs/${backfill.runs[0]?.runId}`);
    await shot(page, 'console-run.png', 'gantt');
    await page.goto(`http://127.0.0.1:${server.port}/#/jobs/${JOB}/start`);
    await page.getByTestId('input-mode').selectOption('backfill');
    await page.getByTestId('input-idStart').fill('8001');
    await page.getByTestId('input-idEnd').fill('16000');
    await page.getByTestId('preview-run').click();
    await shot(page, 'console-start.png', 'preview-cost');
    await page.goto(`http://127.0.0.1:${server.port}/#/jobs/${JOB}/exceptions`);
    await page.getByTestId('exceptions-table').waitFor();
    await page.getByTestId('filter-kind').selectOption({ index: 0 });
    await page.getByTestId('filter-from').fill('2000');
    await page.getByTestId('filter-to').fill('6000');
    await Promise.all([
      page.waitForResponse((r) => r.url().includes('/exceptions?') && r.url().includes('from=2000')),
      page.getByTestId('apply-filter').click(),
    ]);
    await page.getByTestId('note').fill('upstream fixed the addresses; nothing to redo');
    await shot(page, 'console-exceptions.png', 'exceptions-table', false);
    await page.goto(`http://127.0.0.1:${server.port}/#/graph`);
    await shot(page, 'console-graph.png', 'graph-mermaid');
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  await local.stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function shot(page: Page, file: string, ready: string, fullPage = true): Promise<void> {
  await page.getByTestId(ready).first().waitFor();
  await page.screenshot({ path: join(DOCS, file), fullPage });
  console.log(`wrote docs/${file}`);
}
