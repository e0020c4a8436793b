import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RetryableError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../core/validation.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { entered, historyOf, startTestLocal, type TestLocal, uniqueId, waitForExecution } from './support.ts';

const tries = new Map<string, number>();

/** Asks for a retry the first time it sees a batch, then succeeds. */
const flakyOnce = defineProcessor({
  name: 'test-flaky-once',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  beforeBatch: (ctx) => {
    const key = `${ctx.jobId}/${ctx.batch.start}`;
    tries.set(key, (tries.get(key) ?? 0) + 1);
    if (tries.get(key) === 1) throw new RetryableError('upstream throttled: try again');
  },
  processItem: () => ({ ok: true }),
});

class ExplodedError extends Error {
  override name = 'ExplodedError';
}

/** Fails every batch it is given. */
const alwaysFails = defineProcessor({
  name: 'test-always-fails',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: () => {
    throw new ExplodedError('the processor exploded');
  },
});

let local: TestLocal;

beforeAll(async () => {
  local = await startTestLocal([flakyOnce, alwaysFails]);
});

afterAll(async () => {
  await local?.stop();
});

async function run(processor: string, items: number, size: number, spec: Record<string, unknown> = {}) {
  const { deps, state } = local.mode;
  const datasetId = uniqueId('ds');
  const jobId = uniqueId('job');
  await seedDataset(deps, datasetId, items, { chunk: 10 });
  await createJob(deps, {
    jobId,
    datasetId,
    processor: { name: processor },
    batching: { by: 'count', size },
    ...spec,
  });
  const input = JSON.stringify({ jobId, mode: 'incremental' });
  const { executionArn } = await local.sfn.send(
    new StartExecutionCommand({ stateMachineArn: state.stateMachineArn, input }),
  );
  const out = await waitForExecution(local.sfn, executionArn as string);
  const events = await historyOf(local.sfn, executionArn as string);
  const batches = await collect(deps.batches.list(jobId, { kind: 'inventory' }));
  return { jobId, out, events, batches };
}

describe('Retry and Catch of the run-job state machine, run locally', () => {
  it('retries a batch whose processor throws RetryableError, which then succeeds on its second attempt', async () => {
    const { out, events, batches } = await run('test-flaky-once', 20, 10);

    expect(out.status).toBe('SUCCEEDED');
    const failures = events
      .filter((e) => e.type === 'TaskFailed')
      .map((e) => e.taskFailedEventDetails?.error);
    expect(failures).toEqual(['RetryableError', 'RetryableError']);
    // Each ProcessBatch state is entered once and scheduled twice: the retry is inside the state.
    expect(entered(events, 'TaskStateEntered').filter((n) => n === 'ProcessBatch')).toHaveLength(2);
    expect(
      events.filter(
        (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.parameters?.includes('"batch"'),
      ),
    ).toHaveLength(4);
    expect(batches.map((b) => [b.status, b.attempt])).toEqual([
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
    ]);
  });

  it('records a batch that always fails, still runs Finalize, and fails the run with BatchesFailedError', async () => {
    const { jobId, out, events, batches } = await run('test-always-fails', 30, 10);

    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('BatchesFailedError');
    const names = entered(events, 'TaskStateEntered');
    expect(names.filter((n) => n === 'RecordFailure')).toHaveLength(3);
    expect(names.at(-1)).toBe('Finalize');
    expect(events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error)).toEqual(
      ['ExplodedError', 'ExplodedError', 'ExplodedError'],
    );
    expect(events.filter((e) => e.type === 'MapIterationFailed')).toHaveLength(3);
    expect(events.some((e) => e.type === 'MapRunSucceeded')).toBe(true);
    expect(batches.every((b) => b.status === 'FAILED')).toBe(true);
    const attempts = await collect(local.mode.deps.attempts.list(jobId, { kind: 'inventory' }));
    expect(attempts.map((a) => a.error?.name)).toEqual(['ExplodedError', 'ExplodedError', 'ExplodedError']);
    const runs = await local.mode.deps.runs.listRuns(jobId);
    expect(runs.items[0]?.stats).toMatchObject({ batchesFailed: 3, batchesSucceeded: 0 });
  });

  it('fails the Map past its tolerated failures, and still reaches Finalize through the Catch', async () => {
    const { out, events } = await run('test-always-fails', 30, 10, {
      toleratedFailurePercentage: 0,
      maxConcurrency: 1,
    });

    expect(out).toMatchObject({ status: 'FAILED', error: 'BatchesFailedError' });
    const mapRunFailed = events.find((e) => e.type === 'MapRunFailed')?.mapRunFailedEventDetails;
    expect(mapRunFailed?.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(events.some((e) => e.type === 'MapStateFailed')).toBe(true);
    // One child at a time: the first failure stops the Map before it starts another.
    expect(events.filter((e) => e.type === 'MapIterationStarted')).toHaveLength(1);
    expect(entered(events, 'PassStateEntered')).toEqual(['ShapeFinalizeEventWithMapError']);
    expect(entered(events, 'TaskStateEntered').at(-1)).toBe('Finalize');
  });
});
