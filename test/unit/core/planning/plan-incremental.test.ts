import { describe, expect, it } from 'vitest';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { expectTiling, idCounts, manifestOf } from '../../../support/inventory-checks.ts';
import { appendRecords, collect, quietWorker, seedDataset } from '../../../support/seed-data.ts';

/** Item weights are bytes; a weight target is at least 1 KiB. */
const KiB = 1024;

const spec = (batching: unknown = { by: 'count', size: 100 }) => ({
  jobId: 'j',
  datasetId: 'ds',
  processor: { name: 'noop' },
  batching,
});

describe('planRun incremental', () => {
  it('reserves new ranges from the watermark to the high id and writes them as a manifest', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 1050);
    await createJob(deps, spec());

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    expect(plan).toMatchObject({
      batches: 11,
      items: 1050,
      newBatches: 11,
      manifestKey: 'manifests/j/run-1.json',
    });
    const manifest = await manifestOf(deps, plan.manifestKey);
    const entry = (start: number, count: number) => ({
      start,
      count,
      location: `s3://data/ds/part-${String(start).padStart(10, '0')}.jsonl`,
      format: 'jsonl',
    });
    expect(manifest[0]).toEqual({
      start: 1,
      end: 100,
      stride: 1,
      scope: 'inventory',
      entries: [entry(1, 1000)],
    });
    expect(manifest[10]).toEqual({
      start: 1001,
      end: 1050,
      stride: 1,
      scope: 'inventory',
      entries: [entry(1001, 50)],
    });
    const batches = await expectTiling(deps, 'j');
    expect(batches.every((b) => b.status === 'PENDING' && b.reservedBy === 'run-1')).toBe(true);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(1051);
  });

  it('plans only what is new on the next run, after the open batches of a finished run', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 300);
    await createJob(deps, spec());
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });
    await appendRecords(deps, 'ds', 150);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    const manifest = await manifestOf(deps, plan.manifestKey);
    expect(manifest.map((b) => b.start)).toEqual([1, 101, 201, 301, 401]);
    expect(plan.newBatches).toBe(2);
    await expectTiling(deps, 'j');
  });

  it('plans nothing once every batch is done and the watermark is past the high id', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 200);
    await createJob(deps, spec());
    const first = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    for (const batch of await manifestOf(deps, first.manifestKey))
      await processBatch(deps, { jobId: 'j', runId: 'run-1', mode: 'incremental', batch }, quietWorker('w'));

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');

    expect([plan.batches, plan.newBatches, plan.skippedBusy]).toEqual([0, 0, 0]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(201);
  });

  it('is idempotent per run id: a retried Plan returns the same manifest and reserves nothing more', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 500);
    await createJob(deps, spec());
    const first = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await appendRecords(deps, 'ds', 100);

    const again = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    expect([again.manifestKey, again.batches]).toEqual([first.manifestKey, first.batches]);
    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toHaveLength(5);
  });

  it('respects maxBatches and goes on from there on the next run', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, spec());

    const a = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 3 }, 'run-1');

    expect(a.batches).toBe(3);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(301);
    await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });
    const b = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 5 }, 'run-2');
    expect((await manifestOf(deps, b.manifestKey)).map((m) => m.start)).toEqual([1, 101, 201, 301, 401]);
    await expectTiling(deps, 'j');
  });

  it('cuts batches by cumulative weight, a too heavy item alone', async () => {
    const deps = fakeDeps();
    const weights = [5, 5, 5, 50, 1, 1, 1, 1, 9, 2];
    await seedDataset(deps, 'ds', 10, { weights: (i) => (weights[i - 1] as number) * KiB });
    await createJob(deps, spec({ by: 'weight', target: 10 * KiB }));

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => [b.start, b.end])).toEqual([
      [1, 2],
      [3, 3],
      [4, 4],
      [5, 8],
      [9, 9],
      [10, 10],
    ]);
    expect((await expectTiling(deps, 'j')).map((b) => b.weight / KiB)).toEqual([10, 5, 50, 4, 9, 2]);
  });

  it('never reserves an id twice nor leaves a gap when planners race', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 0);
    await createJob(deps, spec({ by: 'count', size: 7 }));
    const manifests = [];

    for (let round = 0; round < 2; round++) {
      await appendRecords(deps, 'ds', 400 + round * 37, { chunk: 250 });
      const plans = await Promise.all(
        Array.from({ length: 4 }, (_, p) =>
          planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 40 }, `r${round}-p${p}`),
        ),
      );
      for (const plan of plans) manifests.push(await manifestOf(deps, plan.manifestKey));
    }

    const seen = idCounts(manifests);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    const batches = await expectTiling(deps, 'j');
    const planned = batches.at(-1)?.end as number;
    expect(seen.size).toBe(planned);
    expect(planned).toBeLessThanOrEqual((await deps.catalog.getDataset('ds'))?.highId as number);
  });
});
