import { describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../core/errors.ts';
import { createJob, deleteJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { countItems } from '../../support/local.ts';
import { gatedProcessor } from '../../support/processors.ts';

/**
 * A job deleted (forced) while one of its workers is mid-batch: the worker's commit is refused because its
 * batch is gone, and what it wrote (its output, its staged exceptions) goes with it: nothing of the job is
 * left behind.
 */

const gate = gatedProcessor();

describe('deleting a job under a running worker', () => {
  for (const [label, size] of [
    ['with exceptions in the commit', 60],
    ['with staged exceptions', 300],
  ] as const) {
    it(`leaves nothing of the job behind (${label})`, async () => {
      const e = await coreEnv(`delete-under-${size}`, [gate.processor]);
      await seedDataset(e.deps, 'ds', size, { chunk: size });
      await createJob(e.deps, {
        jobId: 'j',
        datasetId: 'ds',
        processor: { name: 'gated' },
        batching: { by: 'count', size },
      });
      await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
      const inside = gate.entered();
      const working = processBatch(
        e.deps,
        {
          jobId: 'j',
          runId: 'run-1',
          mode: 'incremental',
          batch: { start: 1, end: size, stride: 1, scope: 'inventory' },
        },
        quietWorker('w'),
      ).catch((err: unknown) => err);
      await inside;
      expect((await deleteJob(e.deps, 'j', { force: true })).existed).toBe(true);
      gate.open();
      expect(await working).toBeInstanceOf(LeaseLostError);
      const left = await countItems(e.env);
      expect([left.inventory, left.exceptions]).toEqual([0, 0]);
      for (const prefix of ['outputs/j/', 'staging/j/', 'manifests/j/'])
        expect((await e.deps.objects.list(e.deps.buckets.work, prefix)).items, prefix).toEqual([]);
    });
  }
});
