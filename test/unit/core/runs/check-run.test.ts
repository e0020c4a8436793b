import { describe, expect, it } from 'vitest';
import {
  DatasetDeletingError,
  JobDeletingError,
  JobNotFoundError,
  ValidationError,
} from '../../../../core/errors.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { checkRun } from '../../../../core/runs/check-run.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { seedDataset } from '../../../support/seed-data.ts';

/** Job `j` over data set `ds` of 100 ids. */
async function setup() {
  const deps = fakeDeps();
  await deps.catalog.createDataset({ datasetId: 'ds' }, new Date(deps.clock.now()).toISOString());
  await seedDataset(deps, 'ds', 100, { chunk: 50 });
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 10 },
  });
  return deps;
}

describe('checkRun', () => {
  it('accepts a run of a job whose data set is there, and a backfill within its ids', async () => {
    const deps = await setup();

    await expect(checkRun(deps, { jobId: 'j', mode: 'incremental' })).resolves.toBeUndefined();
    await expect(
      checkRun(deps, { jobId: 'j', mode: 'backfill', idStart: 1, idEnd: 100 }),
    ).resolves.toBeUndefined();
  });

  it('refuses an unknown job, a job being deleted, and bounds past the last id', async () => {
    const deps = await setup();

    await expect(checkRun(deps, { jobId: 'nope', mode: 'incremental' })).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    await expect(
      checkRun(deps, { jobId: 'j', mode: 'backfill', idStart: 50, idEnd: 101 }),
    ).rejects.toMatchObject({
      violations: [{ field: 'idEnd', rule: 'must be <= 100, the last id of data set ds' }],
    });
    await expect(
      checkRun(deps, { jobId: 'j', mode: 'backfill', idStart: 101, idEnd: 200 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await deps.jobs.markJobDeleting('j', new Date(deps.clock.now()).toISOString());
    await expect(checkRun(deps, { jobId: 'j', mode: 'incremental' })).rejects.toBeInstanceOf(
      JobDeletingError,
    );
  });

  it('refuses a run over a data set being deleted, before any execution starts', async () => {
    const deps = await setup();
    await deps.catalog.markDatasetDeleting('ds', new Date(deps.clock.now()).toISOString());

    await expect(checkRun(deps, { jobId: 'j', mode: 'incremental' })).rejects.toBeInstanceOf(
      DatasetDeletingError,
    );
  });
});
