import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { localFunctionArn, type TaskTarget } from './asl-local.ts';
import { abortedError, afterQueuedEvents, stateError } from './interpreter.ts';
import type { Json } from './json.ts';
import { type ExecutionHistory, jsonText, type Lane } from './sfn-history.ts';

/**
 * A Lambda handler invoked in-process the way the Lambda service invokes it: a JSON copy of the event, a
 * context with a unique request id and a deadline, the function's timeout enforced, and a failure reported as
 * Lambda reports it to Step Functions (error = the error's name, cause = the runtime's JSON error document).
 */

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  readonly handler: LambdaHandler;
  readonly timeoutSeconds: number;
  /** @default 1024 */
  readonly memoryMb?: number;
}

/** A function failure as the interpreter must see it: `name` is what Retry and Catch match. */
export interface LambdaFailure extends Error {
  readonly name: string;
  /** The cause text: `{"errorType","errorMessage","trace"}`, as the Node.js runtime reports an error. */
  readonly message: string;
}

const TRACE_LINES = 10;

/** The function name of an ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`), or the name. */
export function functionNameOf(nameOrArn: string): string {
  const match =
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(
      nameOrArn,
    );
  return match?.[1] ?? nameOrArn;
}

/**
 * Invoke `fn` with a JSON copy of `payload`; resolves with a JSON copy of its result (null for undefined).
 * Rejects with a LambdaFailure, Sandbox.Timedout when the function outlives its timeout (its promise is then
 * abandoned, as the Lambda service abandons a timed-out invocation).
 */
export async function invokeLocal(
  fn: LocalFunction,
  functionArn: string,
  payload: Json | undefined,
): Promise<Json> {
  const requestId = randomUUID();
  const timeoutMs = fn.timeoutSeconds * 1000;
  const context = lambdaContext(functionArn, requestId, Date.now() + timeoutMs, fn.memoryMb ?? 1024);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`;
      reject(failure('Sandbox.Timedout', message));
    }, timeoutMs);
  });
  try {
    const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;
    const output = await Promise.race([fn.handler(event, context), timedOut]);
    return output === undefined ? null : (JSON.parse(JSON.stringify(output)) as Json);
  } catch (error) {
    throw isLambdaFailure(error) ? error : toFailure(error);
  } finally {
    clearTimeout(timer);
  }
}

function lambdaContext(functionArn: string, requestId: string, deadline: number, memoryMb: number): Context {
  const functionName = functionNameOf(functionArn);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const FAILURE = Symbol('lambda failure');

function failure(errorType: string, errorMessage: string, trace: string[] = []): LambdaFailure {
  const error = new Error(JSON.stringify({ errorType, errorMessage, trace }));
  return Object.assign(error, { name: errorType, [FAILURE]: true });
}

function isLambdaFailure(error: unknown): error is LambdaFailure {
  return typeof error === 'object' && error !== null && FAILURE in error;
}

/** What a thrown value becomes: its name (a string thrown is errorType `string`, as the runtime says). */
function toFailure(error: unknown): LambdaFailure {
  if (!(error instanceof Error)) return failure(typeof error, String(error));
  const trace = (error.stack ?? '').split('\n').slice(0, TRACE_LINES);
  return failure(error.name || 'Error', error.message, trace);
}

/** What a Lambda Task needs from the run that reached it. */
export interface TaskScope {
  readonly history: ExecutionHistory;
  readonly lane: Lane;
  readonly signal: AbortSignal;
  readonly region: string;
  /** The functions by name. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
}

/**
 * A Lambda Task as Step Functions runs it: lambda:invoke takes `{FunctionName, Payload}` and answers
 * `{ExecutedVersion, Payload, StatusCode}`; a function ARN as the Resource takes and answers the payload itself.
 * Writes TaskScheduled, TaskStarted and TaskSucceeded or TaskFailed, as the history on AWS shows them.
 */
export async function runLambdaTask(
  scope: TaskScope,
  target: Exclude<TaskTarget, { kind: 'ecs-run-task-sync' }>,
  input: Json,
): Promise<Json> {
  // The interpreter's TaskStateEntered is queued, not yet recorded: it must come before TaskScheduled.
  await afterQueuedEvents();
  if (scope.signal.aborted) throw abortedError();
  const invoke = target.kind === 'lambda-invoke';
  const request = (invoke ? input : { FunctionName: target.functionArn, Payload: input }) as {
    FunctionName?: unknown;
    Payload?: Json;
  };
  const name = String(request.FunctionName);
  const resource = { resourceType: 'lambda', resource: invoke ? 'invoke' : name };
  const { history, lane } = scope;
  history.append(lane, 'TaskScheduled', { ...resource, region: scope.region, parameters: jsonText(input) });
  history.append(lane, 'TaskStarted', resource);
  try {
    const fn = scope.functions[functionNameOf(name)];
    if (!fn) throw stateError('Lambda.ResourceNotFoundException', `Function not found: ${name}`);
    const arn = name.startsWith('arn:') ? name : localFunctionArn(scope.region, name);
    const output = await invokeLocal(fn, arn, request.Payload);
    const result = invoke ? { ExecutedVersion: '$LATEST', Payload: output, StatusCode: 200 } : output;
    history.append(lane, 'TaskSucceeded', {
      ...resource,
      output: jsonText(result),
      outputDetails: { truncated: false },
    });
    return result;
  } catch (error) {
    const { name: errorName, message } = error as Error;
    history.append(lane, 'TaskFailed', { ...resource, error: errorName, cause: message });
    // The interpreter reports this failure next: it must not be written twice.
    lane.failureRecorded = true;
    throw error;
  }
}
