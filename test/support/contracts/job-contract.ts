import { describe, expect, it } from 'vitest';
import { JobDeletingError, JobNotFoundError } from '../../../core/errors.ts';
import type { Run } from '../../../core/model.ts';
import { AT, jobRecord, jobWithBatches, LATER, type MakeEnv } from './contract-env.ts';

const runOf = (runId: string, extra: Partial<Run> = {}): Run => ({
  jobId: 'j',
  runId,
  mode: 'incremental',
  status: 'PLANNED',
  plannedAt: AT,
  configHash: 'hash-a',
  batchesPlanned: 3,
  itemsPlanned: 30,
  manifestKey: `manifests/j/${runId}.json`,
  ...extra,
});

const change = { config: { tag: 'b' }, configHash: 'hash-b', processorVersion: '2' };

/**
 * JobStore and RunStore: one job per id, no new config for a job being deleted, deletion page by page keeping
 * the job record last; the first plan of a run wins, a finished run names itself the job's last. Runs on the
 * fakes and on the DynamoDB adapters.
 */
export function describeJobContract(name: string, makeEnv: MakeEnv): void {
  describe(`JobStore and RunStore on ${name}`, () => {
    describe('JobStore', () => {
      it('creates a job once: a second put answers the first', async () => {
        const { deps } = await makeEnv('jobs-put');

        const first = await deps.jobs.putJob(jobRecord());
        const second = await deps.jobs.putJob(jobRecord('j', { configHash: 'other' }));

        expect(first).toEqual({ created: true });
        expect(second).toEqual({ created: false, existing: jobRecord() });
        expect(await deps.jobs.getJob('j')).toEqual(jobRecord());
        expect(await deps.jobs.getJob('nope')).toBeUndefined();
      });

      it('lists jobs page by page in id order, without a deleted one', async () => {
        const { deps } = await makeEnv('jobs-list');
        for (const id of ['c', 'a', 'b']) await deps.jobs.putJob(jobRecord(id));
        await deps.jobs.deleteJobRecord('b');

        const first = await deps.jobs.listJobs({ limit: 1 });
        const rest = await deps.jobs.listJobs({ next: first.next });

        expect(first.items.map((j) => j.jobId)).toEqual(['a']);
        expect(rest.items.map((j) => j.jobId)).toEqual(['c']);
        expect(await deps.jobs.getJob('b')).toBeUndefined();
      });

      it('takes a new config from now on, but not for a job being deleted or missing', async () => {
        const { deps } = await makeEnv('jobs-config');
        await deps.jobs.putJob(jobRecord());

        const updated = await deps.jobs.updateJobConfig('j', change, LATER);
        await deps.jobs.markJobDeleting('j', LATER);

        expect(updated).toEqual({
          ...jobRecord(),
          config: { tag: 'b' },
          configHash: 'hash-b',
          processor: { name: 'noop', version: '2' },
          updatedAt: LATER,
        });
        expect(await deps.jobs.getJob('j')).toMatchObject({ state: 'DELETING', configHash: 'hash-b' });
        await expect(deps.jobs.updateJobConfig('j', change, LATER)).rejects.toBeInstanceOf(JobDeletingError);
        await expect(deps.jobs.updateJobConfig('nope', change, LATER)).rejects.toBeInstanceOf(
          JobNotFoundError,
        );
        await expect(deps.jobs.markJobDeleting('nope', LATER)).rejects.toBeInstanceOf(JobNotFoundError);
      });

      it('deletes the job’s records a page at a time in key order, its own record last', async () => {
        const env = await makeEnv('jobs-delete');
        await jobWithBatches(env, 3);
        await env.deps.runs.putRun(runOf('run-1'));

        const pages = [];
        for (let n = -1; n !== 0; ) {
          n = await env.deps.jobs.deletePage('j', 2);
          pages.push(n);
        }

        // Three batches, the config history and the run; the job record stays until deleteJobRecord.
        expect(pages).toEqual([2, 2, 1, 0]);
        expect(await env.deps.jobs.getJob('j')).toMatchObject({ jobId: 'j' });
        expect(await env.deps.runs.getRun('j', 'run-1')).toBeUndefined();
        await env.deps.jobs.deleteJobRecord('j');
        expect(await env.deps.jobs.getJob('j')).toBeUndefined();
      });
    });

    describe('RunStore', () => {
      it('keeps the first plan of a run, and lists runs newest first', async () => {
        const { deps } = await makeEnv('runs-put');
        await deps.jobs.putJob(jobRecord());
        for (const id of ['run-1', 'run-3', 'run-2']) await deps.runs.putRun(runOf(id));

        await deps.runs.putRun(runOf('run-1', { batchesPlanned: 99 }));
        const first = await deps.runs.listRuns('j', { limit: 2 });
        const rest = await deps.runs.listRuns('j', { limit: 2, next: first.next });

        expect(await deps.runs.getRun('j', 'run-1')).toEqual(runOf('run-1'));
        expect(first.items.map((r) => r.runId)).toEqual(['run-3', 'run-2']);
        expect(rest.items.map((r) => r.runId)).toEqual(['run-1']);
        expect(await deps.runs.getRun('j', 'nope')).toBeUndefined();
      });

      it('closes a run and names it the job’s last run, for an existing run of an existing job only', async () => {
        const { deps } = await makeEnv('runs-finish');
        await deps.jobs.putJob(jobRecord());
        await deps.runs.putRun(runOf('run-1'));

        const finished = await deps.runs.finishRun('j', 'run-1', { status: 'PARTIAL', finishedAt: LATER });

        expect(finished).toEqual({ ...runOf('run-1'), status: 'PARTIAL', finishedAt: LATER });
        expect((await deps.jobs.getJob('j'))?.lastRunId).toBe('run-1');
        const patch = { status: 'SUCCEEDED' as const, finishedAt: LATER };
        await expect(deps.runs.finishRun('j', 'run-9', patch)).rejects.toBeInstanceOf(JobNotFoundError);
        await expect(deps.runs.finishRun('nope', 'run-1', patch)).rejects.toBeInstanceOf(JobNotFoundError);
        expect(await deps.runs.getRun('j', 'run-9')).toBeUndefined();
      });
    });
  });
}
