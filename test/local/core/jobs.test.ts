import { describe, expect, it } from 'vitest';
import {
  DatasetNotFoundError,
  JobBusyError,
  JobConflictError,
  JobDeletingError,
  UnknownProcessorError,
  ValidationError,
} from '../../../core/errors.ts';
import { createJob, deleteJob, getJob, listJobs, updateJobConfig } from '../../../core/jobs/jobs.ts';
import { drift, jobSummary, listBatches } from '../../../core/jobs/stats.ts';
import type { BatchScope } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { collect, coreEnv, seedDataset } from '../../support/core-env.ts';
import { countItems } from '../../support/local.ts';

const inventory: BatchScope = { kind: 'inventory' };
const spec = {
  jobId: 'addr',
  datasetId: 'ds',
  processor: { name: 'normalize-address' },
  batching: { by: 'count', size: 100 },
  description: 'addresses',
};

describe('createJob', () => {
  it('validates the config with the processor, hashes it, and a second identical create is a no-op', async () => {
    const { deps } = await coreEnv('jobs-create');
    await seedDataset(deps, 'ds', 10);
    const first = await createJob(deps, spec);
    expect(first.created).toBe(true);
    expect(first.job.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.job.config).toEqual({
      streetTypeStyle: 'full',
      uppercaseCity: false,
      requireHouseNumber: true,
    });
    const again = await createJob(deps, { ...spec, config: { streetTypeStyle: 'full' } });
    expect(again).toEqual({ job: first.job, created: false });
  });

  it('refuses another spec under an existing id with JobConflictError', async () => {
    const { deps } = await coreEnv('jobs-conflict');
    await seedDataset(deps, 'ds', 10);
    await createJob(deps, spec);
    await expect(createJob(deps, { ...spec, config: { uppercaseCity: true } })).rejects.toBeInstanceOf(
      JobConflictError,
    );
    // The message names what differs: a batch size is not a config.
    await expect(createJob(deps, { ...spec, batching: { by: 'count', size: 5 } })).rejects.toThrow(
      'job addr exists with another spec (it differs in batching)',
    );
    await expect(
      createJob(deps, { ...spec, config: { uppercaseCity: true }, description: 'other' }),
    ).rejects.toThrow('(it differs in config (configHash), description)');
  });

  it('names the unknown processor, the missing data set and the bad config field, writing nothing', async () => {
    const { deps, env } = await coreEnv('jobs-bad');
    await seedDataset(deps, 'ds', 10);
    const before = await countItems(env);
    await expect(createJob(deps, { ...spec, processor: { name: 'nope' } })).rejects.toBeInstanceOf(
      UnknownProcessorError,
    );
    await expect(createJob(deps, { ...spec, datasetId: 'missing' })).rejects.toBeInstanceOf(
      DatasetNotFoundError,
    );
    const bad = await createJob(deps, { ...spec, config: { streetTypeStyle: 'loud' } }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.field).toBe('config.streetTypeStyle');
    const version = await createJob(deps, {
      ...spec,
      processor: { name: 'normalize-address', version: '9' },
    }).catch((e) => e);
    expect(version.field).toBe('processor.version');
    expect(await countItems(env)).toEqual(before);
  });

  it('lists jobs page by page', async () => {
    const { deps } = await coreEnv('jobs-list');
    await seedDataset(deps, 'ds', 10);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await createJob(deps, { ...spec, jobId: id });
    const first = await listJobs(deps, { limit: 2 });
    const second = await listJobs(deps, { limit: 2, next: first.next });
    const third = await listJobs(deps, { limit: 2, next: second.next });
    expect([...first.items, ...second.items, ...third.items].map((j) => j.jobId)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(third.next).toBeUndefined();
  });
});

describe('updateJobConfig and drift', () => {
  it('hashes the new config from then on; completed batches keep theirs and are listed as drifted', async () => {
    const { deps } = await coreEnv('jobs-drift');
    await seedDataset(deps, 'ds', 300);
    const { job } = await createJob(deps, spec);
    await planRun(deps, { jobId: 'addr', mode: 'incremental' }, 'run-1');
    for (const start of [1, 101]) {
      const g = await deps.leases.acquire({
        jobId: 'addr',
        scope: inventory,
        start,
        owner: 'w',
        runId: 'run-1',
        leaseMs: 1000,
        policy: 'skip-succeeded',
      });
      if (g.outcome !== 'ACQUIRED') throw new Error('not acquired');
      await deps.commits.commit({
        jobId: 'addr',
        scope: inventory,
        start,
        end: start + 99,
        token: g.token,
        attempt: g.attempt,
        startedAt: g.startedAt,
        owner: 'w',
        runId: 'run-1',
        configHash: job.configHash,
        itemsSucceeded: 100,
        itemsExcepted: 0,
        exceptions: [],
      });
    }
    expect(await drift(deps, 'addr')).toEqual([]);

    const updated = await updateJobConfig(deps, 'addr', { uppercaseCity: true });
    expect(updated.configHash).not.toBe(job.configHash);
    expect((await drift(deps, 'addr')).map((b) => b.start)).toEqual([1, 101]);
    expect((await collect(listBatches(deps, 'addr', { status: 'PENDING' }))).map((b) => b.start)).toEqual([
      201,
    ]);
    const summary = await jobSummary(deps, 'addr');
    expect(summary).toMatchObject({
      batches: { SUCCEEDED: 2, PENDING: 1, RUNNING: 0, FAILED: 0 },
      itemsDone: 200,
      drifted: 2,
      idsCovered: { first: 1, watermark: 301 },
    });
    expect(summary.exceptions).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
  });
});

describe('deleteJob', () => {
  it('deletes every record of the job in every table and its objects, and is a no-op the second time', async () => {
    const { deps, env } = await coreEnv('jobs-delete');
    await seedDataset(deps, 'ds', 300);
    const before = await countItems(env);
    await createJob(deps, spec);
    await createJob(deps, { ...spec, jobId: 'other' });
    await planRun(deps, { jobId: 'addr', mode: 'incremental' }, 'run-1');
    const g = await deps.leases.acquire({
      jobId: 'addr',
      scope: inventory,
      start: 1,
      owner: 'w',
      runId: 'run-1',
      leaseMs: 1000,
      policy: 'skip-succeeded',
    });
    if (g.outcome !== 'ACQUIRED') throw new Error('not acquired');
    await deps.objects.put(deps.buckets.work, 'outputs/addr/x.jsonl', '{}');
    await deps.commits.commit({
      jobId: 'addr',
      scope: inventory,
      start: 1,
      end: 100,
      token: g.token,
      attempt: g.attempt,
      startedAt: g.startedAt,
      owner: 'w',
      runId: 'run-1',
      configHash: 'h',
      itemsSucceeded: 99,
      itemsExcepted: 1,
      exceptions: [{ itemId: 3, kind: 'k', details: {} }],
    });

    const report = await deleteJob(deps, 'addr');
    expect(report.existed).toBe(true);
    expect(report.exceptions).toBe(2); // the exception's record and its one occurrence
    expect(report.objects).toBe(2);
    await expect(getJob(deps, 'addr')).rejects.toThrow(/does not exist/);
    const after = await countItems(env);
    // What is left is the data set and the other job (META, listing, config history).
    expect(after.exceptions).toBe(0);
    expect(after.catalog).toBe(before.catalog);
    expect(after.inventory).toBe(3);
    expect((await deleteJob(deps, 'addr')).existed).toBe(false);
  });

  it('refuses while a lease is live unless forced, and refuses new plans once deleting', async () => {
    const { deps } = await coreEnv('jobs-delete-busy');
    await seedDataset(deps, 'ds', 300);
    await createJob(deps, spec);
    await planRun(deps, { jobId: 'addr', mode: 'incremental' }, 'run-1');
    await deps.leases.acquire({
      jobId: 'addr',
      scope: inventory,
      start: 101,
      owner: 'w',
      runId: 'run-1',
      leaseMs: 60_000,
      policy: 'skip-succeeded',
    });
    await expect(deleteJob(deps, 'addr')).rejects.toBeInstanceOf(JobBusyError);
    await deps.jobs.markJobDeleting('addr', 'x');
    await expect(planRun(deps, { jobId: 'addr', mode: 'incremental' }, 'run-2')).rejects.toBeInstanceOf(
      JobDeletingError,
    );
    expect((await deleteJob(deps, 'addr', { force: true })).existed).toBe(true);
  });
});
