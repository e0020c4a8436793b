import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError, LeaseLostError } from '../../../core/errors.ts';
import { createJob, deleteJob } from '../../../core/jobs.ts';
import { planRun } from '../../../core/plan-run.ts';
import { processBatch } from '../../../core/process-batch.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../core/validation.ts';
import { coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { countItems } from '../../support/local.ts';

/**
 * A job deleted (forced) while one of its workers is mid-batch: the worker's commit is refused because its
 * batch is gone, and what it wrote (its output, its staged exceptions) goes with it: nothing of the job is
 * left behind.
 */

let release: () => void = () => {};
let entered: () => void = () => {};

/** Waits for the test before its first item; sets every third item aside (300 items: 100 exceptions, staged). */
const gated = defineProcessor({
  name: 'gated',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  async beforeBatch() {
    entered();
    await new Promise<void>((r) => {
      release = r;
    });
  },
  processItem: (_item, { id }) => {
    if (id % 3 === 0) throw new ItemRejectedError('third', { id });
    return { ok: true };
  },
});

describe('deleting a job under a running worker', () => {
  for (const [label, size] of [
    ['with exceptions in the commit', 60],
    ['with staged exceptions', 300],
  ] as const) {
    it(`leaves nothing of the job behind (${label})`, async () => {
      const e = await coreEnv(`delete-under-${size}`, [gated]);
      await seedDataset(e.deps, 'ds', size, { chunk: size });
      await createJob(e.deps, {
        jobId: 'j',
        datasetId: 'ds',
        processor: { name: 'gated' },
        batching: { by: 'count', size },
      });
      await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
      const inside = new Promise<void>((r) => {
        entered = r;
      });
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
      release();
      expect(await working).toBeInstanceOf(LeaseLostError);
      const left = await countItems(e.env);
      expect([left.inventory, left.exceptions]).toEqual([0, 0]);
      for (const prefix of ['outputs/j/', 'staging/j/', 'manifests/j/'])
        expect((await e.deps.objects.list(e.deps.buckets.work, prefix)).items, prefix).toEqual([]);
    });
  }
});
