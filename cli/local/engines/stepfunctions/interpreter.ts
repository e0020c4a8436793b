import './polyfills.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Json } from './json.ts';

/**
 * The few things the local runner does with aws-local-stepfunctions besides running a definition: raising
 * errors the interpreter matches like AWS errors, evaluating payload templates with its own JSONPath engine,
 * and waiting for its event log to be recorded.
 */

export { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';

/** Definitions are validated once, as written, before they are localized (see asl-local.ts). */
export const NO_VALIDATE = { validationOptions: { noValidate: true } } as const;

/** An error the interpreter matches by name in Retry and Catch; its message is the cause. */
export function stateError(name: string, cause: string, options: { final?: boolean } = {}): Error {
  const error = Object.assign(new Error(cause), { name });
  // The interpreter reads these flags: a stopped execution must neither retry nor catch.
  if (options.final) Object.assign(error, { isRetryable: false, isCatchable: false });
  return error;
}

/** What a state that starts after StopExecution throws: nothing may run, retry or catch any more. */
export const abortedError = () => stateError('States.Aborted', 'the execution was stopped', { final: true });

/**
 * Resolves once the interpreter's queued events have been recorded: its log is drained on microtasks, so one
 * macrotask later the events dispatched so far (e.g. TaskStateEntered) are in the history.
 */
export const afterQueuedEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Evaluate a payload template (`"key.$": path`) against `input` and the context object (`$$`), with the
 * interpreter's own JSONPath and intrinsic functions, so that paths mean the same everywhere.
 */
export async function evaluate(template: Json, input: Json, context: Record<string, unknown>): Promise<Json> {
  const definition = {
    StartAt: 'Evaluate',
    States: { Evaluate: { Type: 'Pass', Parameters: template, End: true } },
  };
  const run = new StateMachine(definition as never, NO_VALIDATE).run(input as never, { context } as never);
  try {
    return (await run.result) as Json;
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw stateError(cause?.name ?? 'States.Runtime', cause?.message ?? String(error), { final: true });
  }
}
