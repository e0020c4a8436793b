import { describe, expect, it } from 'vitest';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { collect, seedDataset } from '../../../support/seed-data.ts';

describe('planRun sample', () => {
  it('plans every Nth id up to a limit in a scope of its own, the inventory untouched', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 4 },
    });

    const plan = await planRun(deps, { jobId: 'j', mode: 'sample', every: 97, limit: 9 }, 'run-s');

    const entries = [
      { start: 1, count: 1000, location: 's3://data/ds/part-0000000001.jsonl', format: 'jsonl' },
    ];
    expect(await manifestOf(deps, plan.manifestKey)).toEqual([
      { start: 1, end: 292, stride: 97, scope: 'sample', entries },
      { start: 389, end: 680, stride: 97, scope: 'sample', entries },
      { start: 777, end: 777, stride: 97, scope: 'sample', entries },
    ]);
    expect(plan.items).toBe(9);
    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toEqual([]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(1);
    expect(await collect(deps.batches.list('j', { kind: 'sample', runId: 'run-s' }))).toHaveLength(3);
    expect(await collect(deps.batches.openBatches('j'))).toEqual([]);
  });
});
