import { describe, expect, it } from 'vitest';
import { TASK_EVENT_ENV, TASK_EXIT } from '../../../core/contracts/container-task.ts';
import { runBatchTask, type TaskIo } from '../../../functions/container/process-batch-task.ts';
import { commandEnv, evenOdd } from '../core/processing/command-env.ts';

function memoryTaskIo() {
  const lines: string[] = [];
  const io: TaskIo = { log: { info() {}, warn() {} }, line: (text) => lines.push(text) };
  return { io, lines };
}

describe('runBatchTask (the entrypoint of a container that runs one batch)', () => {
  it('runs the batch of its event, prints the report and exits 0', async () => {
    const { deps, event, host } = await commandEnv(evenOdd);
    const { io, lines } = memoryTaskIo();

    const code = await runBatchTask(deps, { [TASK_EVENT_ENV]: JSON.stringify(event(0)) }, io);

    expect(code).toBe(TASK_EXIT.done);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 5 });
    expect(host.launches).toHaveLength(1);
  });

  it('exits 2 when the command asks for a retry, and 1 when it fails', async () => {
    const retry = await commandEnv(() => ({ exitCode: 2 }));
    const fail = await commandEnv(() => ({ exitCode: 7 }));
    const { io, lines } = memoryTaskIo();

    expect(await runBatchTask(retry.deps, { [TASK_EVENT_ENV]: JSON.stringify(retry.event(0)) }, io)).toBe(
      TASK_EXIT.retry,
    );
    expect(await runBatchTask(fail.deps, { [TASK_EVENT_ENV]: JSON.stringify(fail.event(0)) }, io)).toBe(
      TASK_EXIT.failed,
    );
    expect(lines.map((l) => JSON.parse(l).error.name)).toEqual(['RetryableError', 'CommandFailedError']);
  });

  it.each([
    [{}, `${TASK_EVENT_ENV}: must be set to the ProcessBatch event`],
    [{ [TASK_EVENT_ENV]: '{' }, `${TASK_EVENT_ENV} is not JSON`],
    [{ [TASK_EVENT_ENV]: '{"jobId":"j"}' }, 'invalid process-batch event'],
  ])('exits 3 and writes nothing when started without a valid event (%j)', async (env, message) => {
    const { deps, host } = await commandEnv(evenOdd);
    const { io, lines } = memoryTaskIo();

    expect(await runBatchTask(deps, env, io)).toBe(TASK_EXIT.badInput);
    expect(lines[0]).toContain(message);
    expect(host.launches).toHaveLength(0);
  });
});
