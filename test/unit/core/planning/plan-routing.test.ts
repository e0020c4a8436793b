import { describe, expect, it } from 'vitest';
import { RouteFlag } from '../../../../cli/commands/dependency-flags.ts';
import { ValidationError } from '../../../../core/errors.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { collect, seedDataset } from '../../../support/seed-data.ts';

/** Item i weighs i KiB: batches of 10 by count weigh 55 KiB, 155 KiB, 255 KiB... */
const KiB = 1024;

describe('routing by weight', () => {
  it("marks each manifest item heavier than the job's threshold with its container flavor, the rest none", async () => {
    const deps = fakeDeps();
    // Every tenth item weighs 500 KiB, the others 1 KiB: batches of 20 KiB, and the heavy items in their own.
    await seedDataset(deps, 'ds', 40, { weights: (i) => (i % 10 === 0 ? 500 : 1) * KiB });
    await createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'weight', target: 20 * KiB },
      routing: { flavor: 'fargate-large', minWeight: 100 * KiB },
    });
    const manifest = await manifestOf(
      deps,
      (await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'r1')).manifestKey,
    );
    const batches = await collect(deps.batches.list('j', { kind: 'inventory' }));
    const weightOf = new Map(batches.map((b) => [b.start, b.weight]));
    const heavy = manifest.filter((m) => (weightOf.get(m.start) ?? 0) >= 100 * KiB);
    expect(heavy.length).toBeGreaterThanOrEqual(4);
    expect(heavy.every((m) => m.flavor === 'fargate-large')).toBe(true);
    expect(manifest.filter((m) => !heavy.includes(m)).every((m) => m.flavor === undefined)).toBe(true);
    expect(manifest.length).toBeGreaterThan(heavy.length);
    // A sample of a job that sends every batch to a container goes there too.
    await createJob(deps, {
      jobId: 'all',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
      routing: { flavor: 'fargate-small' },
    });
    const sample = await planRun(deps, { jobId: 'all', mode: 'sample', every: 3 }, 'r2');
    expect((await manifestOf(deps, sample.manifestKey)).every((m) => m.flavor === 'fargate-small')).toBe(
      true,
    );
  });

  it('refuses an unknown flavor or a negative threshold, naming the field, before anything is written', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 10);
    const e = await createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
      routing: { flavor: 'lambda-huge', minWeight: -1 },
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).violations.map((v) => v.field)).toEqual([
      'routing.flavor',
      'routing.minWeight',
    ]);
    expect(await deps.jobs.getJob('j')).toBeUndefined();
    expect(RouteFlag.parse('fargate-large:1000')).toEqual({ flavor: 'fargate-large', minWeight: 1000 });
    expect(RouteFlag.parse('fargate-small')).toEqual({ flavor: 'fargate-small', minWeight: 0 });
    for (const bad of ['fargate-large:', 'fargate-large:x', 'nope', 'fargate-large:1:2'])
      expect(RouteFlag.safeParse(bad).success, bad).toBe(false);
  });
});
