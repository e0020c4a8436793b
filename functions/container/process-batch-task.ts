import { randomUUID } from 'node:crypto';
import { TASK_EVENT_ENV, TASK_EXIT } from '../../core/contracts/container-task.ts';
import type { Deps } from '../../core/deps.ts';
import { RetryableError, ValidationError } from '../../core/errors.ts';
import { ProcessBatchEvent } from '../../core/events.ts';
import { processBatch } from '../../core/processing/process-batch.ts';
import type { BatchLog } from '../../core/processors/define-processor.ts';
import { parse } from '../../core/validation.ts';

/** Where the task writes its one-line JSON answer and its log lines. */
export interface TaskIo {
  readonly log: BatchLog;
  line(text: string): void;
}

const consoleIo: TaskIo = {
  log: {
    info: (message, data) => console.log(JSON.stringify({ level: 'INFO', message, ...data })),
    warn: (message, data) => console.log(JSON.stringify({ level: 'WARN', message, ...data })),
  },
  line: (text) => console.log(text),
};

/**
 * The entrypoint of a container that runs one batch (a Fargate task): the ProcessBatch event from
 * TASK_EVENT_ENV, the same processBatch as the Lambda handler (lease, preflight, the command processor's runner,
 * fenced commit), and an exit code from TASK_EXIT, since the process's exit is all `ecs:runTask.sync` reports.
 * The image's main calls `useProcessors(registry)` (functions/support/runtime.ts) and then
 * `process.exit(await runBatchTask(deps()))`. The lease comes from the job's leaseSeconds (a container has no
 * deadline to read); the command's own timeout bounds the batch.
 */
export async function runBatchTask(
  deps: Deps,
  env: NodeJS.ProcessEnv = process.env,
  io: TaskIo = consoleIo,
): Promise<number> {
  let event: ProcessBatchEvent;
  try {
    const raw = env[TASK_EVENT_ENV];
    if (!raw)
      throw new ValidationError([{ field: TASK_EVENT_ENV, rule: 'must be set to the ProcessBatch event' }], {
        what: 'task environment',
      });
    event = parse(ProcessBatchEvent, JSON.parse(raw), 'process-batch event');
  } catch (error) {
    io.line(JSON.stringify({ error: errorOf(error) }));
    return TASK_EXIT.badInput;
  }
  try {
    const invocationId = env.ECS_TASK_ARN?.split('/').pop() ?? randomUUID();
    const out = await processBatch(deps, event, { invocationId, log: io.log });
    io.line(JSON.stringify(out));
    return TASK_EXIT.done;
  } catch (error) {
    io.line(JSON.stringify({ error: errorOf(error) }));
    return error instanceof RetryableError ? TASK_EXIT.retry : TASK_EXIT.failed;
  }
}

const errorOf = (e: unknown) => ({
  name: e instanceof Error ? e.name : 'Error',
  message:
    e instanceof SyntaxError
      ? `${TASK_EVENT_ENV} is not JSON: ${e.message}`
      : String((e as Error)?.message ?? e),
});
