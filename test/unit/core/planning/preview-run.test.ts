import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../core/errors.ts';
import type { RunInput } from '../../../../core/events.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { previewRun } from '../../../../core/planning/preview-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import type { FakeDeps } from '../../../support/fakes/fake-deps.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { quietWorker, seedJob } from '../../../support/seed-data.ts';

/** Job `j` over 100 ids in batches of 10, whose run-1 planned and processed the first `done` batches. */
async function halfDone(done = 4): Promise<FakeDeps> {
  const deps = fakeDeps();
  await seedJob(deps, { ids: 100, size: 10 });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: done }, 'run-1');
  for (const batch of await manifestOf(deps, plan.manifestKey))
    await processBatch(deps, { jobId: 'j', runId: 'run-1', mode: 'incremental', batch }, quietWorker('w'));
  deps.clock.advance(1000);
  return deps;
}

/** What Plan then reserves for the same input: the figures a preview must match. */
async function planned(deps: FakeDeps, input: Omit<RunInput, 'jobId'>) {
  const plan = await planRun(deps, { jobId: 'j', ...input } as RunInput, 'run-2');
  const manifest = await manifestOf(deps, plan.manifestKey);
  return {
    batches: manifest.length,
    items: plan.items,
    first: manifest[0]?.start,
    last: manifest.at(-1)?.end,
  };
}

describe('previewRun', () => {
  it.each([
    { mode: 'incremental' },
    { mode: 'backfill', idStart: 5, idEnd: 25 },
    { mode: 'backfill', idStart: 35, idEnd: 75 },
    { mode: 'backfill', idStart: 63, idEnd: 90 },
    { mode: 'retry-failed' },
    { mode: 'sample', every: 7, limit: 9 },
    { mode: 'incremental', maxBatches: 3 },
  ] as Omit<RunInput, 'jobId'>[])('plans what Plan then plans for %o', async (input) => {
    const deps = await halfDone();

    const preview = await previewRun(deps, { jobId: 'j', ...input });
    const plan = await planned(deps, input);

    expect({ batches: preview.batches, items: preview.items }).toEqual({
      batches: plan.batches,
      items: plan.items,
    });
    expect(preview.ranges[0]?.start).toBe(plan.first);
    expect(preview.ranges.at(-1)?.end).toBe(plan.last);
  });

  it('names the ranges by kind: existing batches, then new ones past the watermark', async () => {
    const deps = await halfDone();

    const preview = await previewRun(deps, { jobId: 'j', mode: 'backfill', idStart: 35, idEnd: 75 });

    expect(preview.ranges).toEqual([
      { start: 35, end: 40, batches: 1, items: 6, kind: 'existing' },
      { start: 41, end: 75, batches: 4, items: 35, kind: 'new' },
    ]);
    expect(preview.newBatches).toBe(4);
  });

  it('writes nothing: the same preview twice, and the inventory as it was', async () => {
    const deps = await halfDone();
    const before = await deps.jobs.getJob('j');

    const a = await previewRun(deps, { jobId: 'j', mode: 'incremental' });
    const b = await previewRun(deps, { jobId: 'j', mode: 'incremental' });

    expect(b).toEqual(a);
    expect(await deps.jobs.getJob('j')).toEqual(before);
    expect((await deps.runs.listRuns('j')).items.map((r) => r.runId)).toEqual(['run-1']);
  });

  it('leaves out, and counts, batches under a live lease; retry-failed takes only open batches', async () => {
    const deps = fakeDeps();
    await seedJob(deps, { ids: 50, size: 10 });
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    const preview = await previewRun(deps, { jobId: 'j', mode: 'retry-failed' });

    // run-1's reservations are live: every batch is busy until they lapse.
    expect(preview).toMatchObject({ batches: 0, skippedBusy: 5 });
  });

  it('refuses a bad input before reading anything, naming the field', async () => {
    const deps = await halfDone();

    const error = await previewRun(deps, { jobId: 'j', mode: 'backfill', idStart: 5 }).catch((e) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toEqual([
      { field: 'idEnd', rule: 'is required for mode backfill' },
    ]);
  });
});
