import { chromium } from 'playwright-core';
import type { ConsoleBackend } from '../console/api/backend.ts';
import { readJobRanges } from '../console/api/snapshot.ts';
import { bucketize, findGaps } from '../console/range-map.ts';
import { startConsole } from '../console/server.ts';
import { createJob } from '../core/jobs/jobs.ts';
import type { Batch, BatchScope } from '../core/model.ts';
import type { BatchStore } from '../core/ports/index.ts';
import { fakeDeps } from '../test/support/fakes/fake-deps.ts';
import { machineNote } from './support/machine.ts';
import { printTable } from './support/table.ts';

const BATCHES = 1_000_000;
const SIZE = 10;
/** The map is as wide as the page's column: about 1,200 pixels at 1,280 wide. */
const VIEWPORT = { width: 1280, height: 900 };

/**
 * Time to first render of the range map of a job with 1,000,000 batches (10,000,000 ids): the console over the
 * port fakes (the store hands out generated batches: mostly done, 1 in 100 failed, some leased, the last tenth
 * pending, and a hole never processed), and headless Chromium opening the job's page. Figures: reading the
 * batches into the snapshot, one bucketing, and the page from navigation to the drawn map, cold (the snapshot is
 * read for the first call) and warm (held). Never pass or fail.
 */
export async function consoleRangeMapBench(): Promise<string> {
  const backend = await millionBatchBackend();
  const t0 = performance.now();
  const ranges = await readJobRanges(backend.deps, 'big');
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  const buckets = bucketize(ranges.snapshot, {}, 1200);
  const bucketMs = performance.now() - t1;
  const t2 = performance.now();
  bucketize(ranges.snapshot, { from: 5_000_000, to: 5_100_000 }, 1200);
  const zoomMs = performance.now() - t2;
  const t3 = performance.now();
  const gaps = findGaps(ranges.snapshot, 1, 50);
  const gapsMs = performance.now() - t3;

  const server = await startConsole({ backend });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
  const render = async () => {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.goto(`${server.url}#/jobs/big`);
    await page.locator('[data-testid=range-map][data-rendered]').waitFor({ timeout: 600_000 });
    const r = (await page.evaluate('window.__bkMapRender')) as { askedAt: number; drawnAt: number };
    await page.close();
    return r;
  };
  const ask = async (fresh: boolean) => {
    const t = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${server.port}/api/jobs/big/map?buckets=1200${fresh ? '&fresh=1' : ''}`,
      {
        headers: { 'x-batchkeeper-token': server.token },
      },
    );
    await res.json();
    return performance.now() - t;
  };
  try {
    const cold = await render();
    const warm = await render();
    const apiCold = await ask(true);
    const apiWarm = await ask(false);
    console.log(
      `console range map, ${BATCHES.toLocaleString('en-US')} batches of ${SIZE} ids (${machineNote()}):`,
    );
    printTable(
      ['step', 'ms'],
      [
        ['read 1,000,000 batches into the snapshot (port fake)', readMs.toFixed(0)],
        [`bucketize the whole id space into ${buckets.buckets} buckets`, bucketMs.toFixed(1)],
        ['bucketize a zoom window of 100,000 ids', zoomMs.toFixed(2)],
        [`gap finder (${gaps.total.toLocaleString('en-US')} gaps)`, gapsMs.toFixed(1)],
        ['API: the map of the whole id space, snapshot read first', apiCold.toFixed(0)],
        ['API: the same with the snapshot held', apiWarm.toFixed(1)],
        ['page: navigation to the map drawn, cold snapshot', cold.drawnAt.toFixed(0)],
        ['  of which the map request and drawing', (cold.drawnAt - cold.askedAt).toFixed(0)],
        ['page: navigation to the map drawn, warm snapshot', warm.drawnAt.toFixed(0)],
        ['  of which the map request and drawing', (warm.drawnAt - warm.askedAt).toFixed(0)],
      ],
    );
    return `console-range-map: batches=${BATCHES} first_render_cold_ms=${cold.drawnAt.toFixed(0)} first_render_warm_ms=${warm.drawnAt.toFixed(0)} snapshot_ms=${readMs.toFixed(0)} bucketize_ms=${bucketMs.toFixed(1)}`;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Job `big` over a data set of 10,000,000 ids whose batch store hands out 1,000,000 generated batches. */
async function millionBatchBackend(): Promise<ConsoleBackend> {
  const deps = fakeDeps();
  const at = new Date(deps.clock.now()).toISOString();
  await deps.catalog.createDataset({ datasetId: 'ten-million' }, at);
  await deps.catalog.register(
    'ten-million',
    [{ count: BATCHES * SIZE, location: 's3://data/ten-million.jsonl', format: 'jsonl', weights: 1 }],
    at,
  );
  const { job } = await createJob(deps, {
    jobId: 'big',
    datasetId: 'ten-million',
    processor: { name: 'noop' },
    batching: { by: 'count', size: SIZE },
  });
  const now = deps.clock.now();
  const batchOf = (i: number): Batch => {
    const start = i * SIZE + 1;
    const tail = i >= BATCHES * 0.9;
    const status = tail ? 'PENDING' : i % 100 === 7 ? 'FAILED' : i % 1000 === 3 ? 'RUNNING' : 'SUCCEEDED';
    return {
      jobId: 'big',
      scope: { kind: 'inventory' },
      start,
      end: start + SIZE - 1,
      stride: 1,
      count: SIZE,
      weight: SIZE,
      status,
      attempt: 1,
      token: 1,
      plannedAt: at,
      configHash: i % 10_000 < 50 ? 'sha256:old' : job.configHash,
      leaseExpiresAt: status === 'RUNNING' ? now + 60_000 : undefined,
    };
  };
  // A hole of 5,000 batches never planned, in the middle.
  const hole = (i: number) => i >= 400_000 && i < 405_000;
  const store: BatchStore = Object.assign(Object.create(deps.batches) as BatchStore, {
    async *list(_jobId: string, scope: BatchScope) {
      if (scope.kind !== 'inventory') return;
      for (let i = 0; i < BATCHES; i++) if (!hole(i)) yield batchOf(i);
    },
  });
  return {
    kind: 'local',
    region: 'us-east-1',
    deps: { ...deps, batches: store },
    startRun: () => Promise.reject(new Error('the benchmark starts no run')),
    executionEnd: async (run) => run,
  };
}
