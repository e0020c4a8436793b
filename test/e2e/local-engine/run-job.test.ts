import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputKeyOf } from '../../../core/contracts/s3-keys.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { Arrivals } from '../../support/gate.ts';
import { heldProcessor } from './fixtures/processors.ts';
import {
  entered,
  historyOf,
  keysUnder,
  startTestLocal,
  type TestLocal,
  tableCounts,
  uniqueId,
  waitForExecution,
} from './support.ts';

let local: TestLocal;
const held = heldProcessor();
/** Every commit a worker of this local mode saw through (the core's fault point right after it). */
const commits = new Arrivals();

beforeAll(async () => {
  local = await startTestLocal([held.processor], {
    faults: (point) => {
      if (point === 'process.afterCommit') commits.add();
    },
  });
});

afterAll(async () => {
  await local?.stop();
});

/** A data set of `items` records and a job over it cutting batches of `size`. */
async function jobOver(
  items: number,
  size: number,
  processor = 'noop',
  spec: Record<string, unknown> = {},
): Promise<string> {
  const { deps } = local.mode;
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
  return jobId;
}

/** The most Map iterations that were running at once, read off the history. */
function peakIterations(events: readonly { type?: string }[]): number {
  let running = 0;
  let peak = 0;
  for (const e of events) {
    if (e.type === 'MapIterationStarted') peak = Math.max(peak, ++running);
    if (e.type === 'MapIterationSucceeded' || e.type === 'MapIterationFailed') running -= 1;
  }
  return peak;
}

async function start(input: string, name?: string): Promise<string> {
  const out = await local.sfn.send(
    new StartExecutionCommand({ stateMachineArn: local.mode.state.stateMachineArn, input, name }),
  );
  return out.executionArn as string;
}

describe('the local Step Functions engine, through its endpoint and the AWS SDK', () => {
  it('runs an incremental job: every batch SUCCEEDED, one output per batch, Plan/ProcessBatch/Finalize in history', async () => {
    const jobId = await jobOver(70, 10);
    const executionArn = await start(JSON.stringify({ jobId, mode: 'incremental' }));

    const done = await waitForExecution(local.sfn, executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toMatchObject({
      jobId,
      status: 'SUCCEEDED',
      batchesSucceeded: 7,
      batchesFailed: 0,
    });
    const batches = await collect(local.mode.deps.batches.list(jobId, { kind: 'inventory' }));
    expect(batches).toHaveLength(7);
    expect(batches.every((b) => b.status === 'SUCCEEDED')).toBe(true);
    const outputs = await keysUnder(local.mode, local.mode.state.buckets.work, `outputs/${jobId}/`);
    expect(outputs.sort()).toEqual(batches.map((b) => outputKeyOf(jobId, { kind: 'inventory' }, b)).sort());
    const events = await historyOf(local.sfn, executionArn);
    expect(entered(events, 'TaskStateEntered').filter((n) => n !== 'ProcessBatch')).toEqual([
      'Plan',
      'Finalize',
    ]);
    expect(entered(events, 'MapStateEntered')).toEqual(['ProcessBatches']);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ExecutionStarted', 'MapRunStarted', 'MapRunSucceeded']),
    );
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it('honours the ItemReader (one ProcessBatch child per manifest line) and the planned MaxConcurrency', async () => {
    const jobId = await jobOver(35, 5, 'noop', { maxConcurrency: 2 });
    const executionArn = await start(JSON.stringify({ jobId, mode: 'incremental' }));
    await waitForExecution(local.sfn, executionArn);

    const events = await historyOf(local.sfn, executionArn);

    const manifest = await keysUnder(local.mode, local.mode.state.buckets.work, `manifests/${jobId}/`);
    expect(manifest).toHaveLength(1);
    expect(events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails?.length).toBe(7);
    expect(entered(events, 'TaskStateEntered').filter((n) => n === 'ProcessBatch')).toHaveLength(7);
    const payloads = events
      .filter(
        (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.parameters?.includes('"batch"'),
      )
      .map((e) => JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}').Payload.batch.start)
      .sort((a: number, b: number) => a - b);
    expect(payloads).toEqual([1, 6, 11, 16, 21, 26, 31]);
    expect(peakIterations(events)).toBe(2);
  });

  it('fails a malformed input with ValidationError naming the field, and writes nothing', async () => {
    const jobId = await jobOver(10, 10);
    const before = await tableCounts(local.mode);
    const objectsBefore = await keysUnder(local.mode, local.mode.state.buckets.work, '');

    const badMode = await waitForExecution(
      local.sfn,
      await start(JSON.stringify({ jobId, mode: 'sideways' })),
    );
    const unknownField = await waitForExecution(
      local.sfn,
      await start(JSON.stringify({ jobId, mode: 'incremental', colour: 'red' })),
    );

    for (const out of [badMode, unknownField]) {
      expect(out.status).toBe('FAILED');
      expect(out.error).toBe('ValidationError');
    }
    expect(badMode.cause).toMatch(/mode: must be one of/);
    expect(unknownField.cause).toMatch(/colour/);
    expect(await tableCounts(local.mode)).toEqual(before);
    expect(await keysUnder(local.mode, local.mode.state.buckets.work, '')).toEqual(objectsBefore);
  });

  it('fails an input that is JSON but no object (null too) with ValidationError from Plan, never States.Runtime', async () => {
    await jobOver(10, 10);
    const before = await tableCounts(local.mode);
    const objectsBefore = await keysUnder(local.mode, local.mode.state.buckets.work, '');

    for (const [input, kind] of [
      ['null', 'null'],
      ['42', 'a number'],
      ['[{"mode": "incremental"}]', 'an array'],
      ['"incremental"', 'a string'],
    ] as const) {
      const executionArn = await start(input);
      const out = await waitForExecution(local.sfn, executionArn);

      expect(out.status).toBe('FAILED');
      expect(out.error).toBe('ValidationError');
      expect(JSON.parse(out.cause ?? '{}').errorMessage).toBe(
        `invalid execution input: (root): must be a JSON object (is ${kind})`,
      );
      const events = await historyOf(local.sfn, executionArn);
      expect(entered(events, 'TaskStateEntered')).toEqual(['Plan']);
      expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails?.error).toBe(
        'ValidationError',
      );
    }
    expect(await tableCounts(local.mode)).toEqual(before);
    expect(await keysUnder(local.mode, local.mode.state.buckets.work, '')).toEqual(objectsBefore);
  });

  it('refuses input that is not JSON, or over 256 KiB, with InvalidExecutionInput, starting nothing', async () => {
    const jobId = await jobOver(10, 10);
    const { stateMachineArn } = local.mode.state;
    const listed = async () =>
      (await local.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }))).executions
        ?.length;
    const before = await listed();
    const tooBig = JSON.stringify({ jobId, mode: 'incremental', pad: 'x'.repeat(256 * 1024) });

    for (const input of ['{"jobId": ', 'incremental', tooBig]) {
      const name = uniqueId('bad-input');
      const refused = start(input, name);

      await expect(refused).rejects.toBeInstanceOf(InvalidExecutionInput);
      await expect(refused).rejects.toMatchObject({
        name: 'InvalidExecutionInput',
        $metadata: { httpStatusCode: 400 },
      });
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      await expect(local.sfn.send(new DescribeExecutionCommand({ executionArn }))).rejects.toBeInstanceOf(
        ExecutionDoesNotExist,
      );
    }
    await expect(start('{"jobId": ', uniqueId('bad-input'))).rejects.toThrow(
      /^Invalid State Machine Execution Input: 'not JSON: /,
    );
    await expect(start(tooBig, uniqueId('bad-input'))).rejects.toThrow(/over the limit of 262144 bytes/);
    expect(await listed()).toBe(before);
  });

  it('aborts an execution on StopExecution: ABORTED, ExecutionAborted last, no more states entered', async () => {
    const jobId = await jobOver(40, 10, 'test-held', { maxConcurrency: 4 });
    const committedBefore = commits.count;
    const executionArn = await start(JSON.stringify({ jobId, mode: 'incremental' }), uniqueId('stop-me'));
    // Every batch of the Map is inside its worker, held there, when the execution is stopped.
    await held.gate.arrived(4);

    await local.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by the test' }),
    );

    const out = await local.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(out).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by the test' });
    const events = await historyOf(local.sfn, executionArn);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
    // In-flight batches finish on their own; nothing is appended after the abort. Let the four workers go and
    // wait until each has committed: what is left of their handlers runs on before the next request is served.
    held.gate.open();
    await commits.reached(committedBefore + 4);
    const batches = await collect(local.mode.deps.batches.list(jobId, { kind: 'inventory' }));
    expect(batches.map((b) => b.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await historyOf(local.sfn, executionArn)).toEqual(events);
    expect(entered(events, 'TaskStateEntered')).not.toContain('Finalize');
  });

  it('answers as the Step Functions API does: typed errors, listings, the state machine', async () => {
    const { stateMachineArn } = local.mode.state;
    const missing = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:nope`;
    await expect(
      local.sfn.send(new DescribeExecutionCommand({ executionArn: missing })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      local.sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-other`, input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    const name = uniqueId('twice');
    await start('{"jobId": "x", "mode": "incremental"}', name);
    await expect(start('{"jobId": "y", "mode": "incremental"}', name)).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );

    const page = await local.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    const failed = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'FAILED' }),
    );
    const machines = await local.sfn.send(new ListStateMachinesCommand({}));
    const machine = await local.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));

    expect(page.executions).toHaveLength(2);
    expect(page.nextToken).toBeDefined();
    expect(failed.executions?.every((e) => e.status === 'FAILED')).toBe(true);
    expect(machines.stateMachines?.map((m) => m.stateMachineArn)).toEqual([stateMachineArn]);
    expect(JSON.parse(machine.definition ?? '{}').States.ProcessBatches.ItemReader).toBeDefined();
  });
});
