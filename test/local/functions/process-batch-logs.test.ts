import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../core/validation.ts';
import { handler } from '../../../functions/process-batch.ts';
import { useDeps } from '../../../functions/support/runtime.ts';
import { coreEnv, seedDataset } from '../../support/core-env.ts';
import { barrier } from '../../support/gate.ts';

/** Two invocations overlap: each waits before its first item until the other has started its batch too. */
const bothInside = barrier(2);
const overlapping = defineProcessor({
  name: 'overlapping',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  beforeBatch: () => bothInside(),
  processItem: () => ({ ok: true }),
});

const contextOf = (requestId: string) => ({
  awsRequestId: requestId,
  getRemainingTimeInMillis: () => 30_000,
  functionName: 'process-batch',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:process-batch',
  memoryLimitInMB: '512',
});

describe('the process-batch handler in one process', () => {
  afterAll(() => useDeps(undefined));
  afterEach(() => vi.restoreAllMocks());

  it("keeps each invocation's keys on its own log lines when invocations overlap", async () => {
    const e = await coreEnv('fn-logs', [overlapping]);
    useDeps(e.deps);
    await seedDataset(e.deps, 'ds', 20);
    await createJob(e.deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'overlapping' },
      batching: { by: 'count', size: 10 },
    });
    await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture as never);
    const event = (start: number) => ({
      jobId: 'j',
      runId: 'run-1',
      mode: 'incremental',
      batch: { start, end: start + 9, stride: 1, scope: 'inventory' },
    });
    await Promise.all([
      handler(event(1), contextOf('req-a') as never),
      handler(event(11), contextOf('req-b') as never),
    ]);
    vi.restoreAllMocks();
    const done = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.message === 'batch done');
    expect(done.map((l) => [l.function_request_id, l.batchStart, l.batchEnd]).sort()).toEqual([
      ['req-a', 1, 10],
      ['req-b', 11, 20],
    ]);
  });
});
