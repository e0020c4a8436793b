import type { S3Client } from '@aws-sdk/client-s3';
import { type AslDefinition, LOCAL_ACCOUNT, type LocalMachine } from './asl-local.ts';
import { type LocalTaskDefinition, runEcsTask } from './ecs-local.ts';
import type { Closing, ExecutionRecord, ExecutionStore } from './execution-store.ts';
import {
  afterQueuedEvents,
  ExecutionError,
  ExecutionTimeoutError,
  NO_VALIDATE,
  StateMachine,
} from './interpreter.ts';
import type { Json } from './json.ts';
import { type LocalFunction, runLambdaTask } from './lambda-local.ts';
import { runMap } from './map-run.ts';
import type { ChildOutcome, ChildRun, MapScope } from './map-types.ts';
import {
  type ExecutionHistory,
  jsonText,
  type Lane,
  newLane,
  recordInterpreterEvent,
} from './sfn-history.ts';

export interface LocalStepFunctionsOptions {
  /** The definition, localized (see asl-local.ts). */
  readonly machine: LocalMachine;
  /** The substituted definition as written, which DescribeStateMachine returns. */
  readonly definitionText: string;
  readonly stateMachineArn: string;
  readonly region: string;
  /** The Lambda functions Tasks may call, by function name. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  /** What `ecs:runTask.sync` runs, by task definition family. @default none */
  readonly taskDefinitions?: Readonly<Record<string, LocalTaskDefinition>>;
  /** Reads ItemReader manifests and writes ResultWriter files. */
  readonly s3: S3Client;
  readonly store: ExecutionStore;
  /** Wait before every retry, in place of IntervalSeconds, BackoffRate and jitter. @default 50 */
  readonly retryIntervalMs?: number;
}

/** What one run (the execution, or one Map child) shares with the states it runs. */
interface RunScope {
  readonly history: ExecutionHistory;
  readonly lane: Lane;
  readonly signal: AbortSignal;
  readonly context: Record<string, unknown>;
}

type RunOutcome =
  | ChildOutcome
  | { readonly status: 'TIMED_OUT'; readonly error: string; readonly cause: string };

/**
 * A Standard state machine run in-process by aws-local-stepfunctions, with every Task calling its Lambda
 * handler in-process and every Map served by the local Map runner. Executions and their histories go to the
 * ExecutionStore; the Step Functions endpoint (sfn-endpoint.ts) is the API in front of it.
 * @example const sfn = new LocalStepFunctions({ machine, definitionText, stateMachineArn, region, functions, s3, store });
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly definitionText: string;
  readonly roleArn: string;
  readonly createdAt = Date.now();
  readonly store: ExecutionStore;
  readonly #o: LocalStepFunctionsOptions;
  readonly #running = new Map<string, AbortController>();
  readonly #interpreters = new WeakMap<AslDefinition, StateMachine>();

  constructor(options: LocalStepFunctionsOptions) {
    this.#o = options;
    this.store = options.store;
    this.stateMachineArn = options.stateMachineArn;
    this.name = options.stateMachineArn.split(':').at(-1) ?? 'state-machine';
    this.definitionText = options.definitionText;
    this.roleArn = `arn:aws:iam::${LOCAL_ACCOUNT}:role/${this.name}-role`;
  }

  /** The ARN an execution of this state machine gets from its name. */
  executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  /**
   * Start an execution named `name` (the run id) with `input`, the JSON text StartExecution was given (the
   * endpoint refuses any other, as AWS does), and `value`, that text parsed.
   */
  startExecution(name: string, input: string, value: Json): ExecutionRecord {
    const executionArn = this.executionArn(name);
    const record = this.store.create({
      executionArn,
      stateMachineArn: this.stateMachineArn,
      name,
      startDate: Date.now(),
      input,
    });
    const history = this.store.historyOf(record);
    const lane = newLane();
    history.append(lane, 'ExecutionStarted', {
      input,
      inputDetails: { truncated: false },
      roleArn: this.roleArn,
    });
    const controller = new AbortController();
    this.#running.set(executionArn, controller);
    const context = {
      Execution: { Id: executionArn, Name: name, RoleArn: this.roleArn },
      StateMachine: { Id: this.stateMachineArn, Name: this.name },
    };
    const scope: RunScope = { history, lane, signal: controller.signal, context };
    void this.#run(this.#o.machine.definition, value, scope)
      .outcome.then(
        (outcome) => {
          // A stopped execution was closed by stopExecution.
          if (!controller.signal.aborted) this.store.close(record, closingOf(outcome));
        },
        (error: unknown) => {
          const cause = `the local engine failed: ${(error as Error)?.stack ?? String(error)}`;
          this.store.close(record, { status: 'FAILED', error: 'States.Runtime', cause });
        },
      )
      .finally(() => this.#running.delete(executionArn));
    return record;
  }

  /** Abort a RUNNING execution: its states stop, in-flight handlers finish unobserved (as Lambda's would). */
  async stopExecution(
    record: ExecutionRecord,
    reason: { error?: string; cause?: string } = {},
  ): Promise<void> {
    this.#running.get(record.executionArn)?.abort();
    // Let what the interpreter logged before the abort reach the history, so that ExecutionAborted comes last.
    await afterQueuedEvents();
    this.store.close(record, { status: 'ABORTED', ...reason });
  }

  /** Abort every running execution and write the store. */
  async close(): Promise<void> {
    const running = [...this.#running.keys()].flatMap((arn) => this.store.get(arn) ?? []);
    await Promise.all(running.map((r) => this.stopExecution(r, { cause: 'the local mode was stopped' })));
    await this.store.shutdown();
  }

  #run(definition: AslDefinition, input: Json, scope: RunScope): { outcome: Promise<RunOutcome> } {
    let interpreter = this.#interpreters.get(definition);
    if (!interpreter) {
      interpreter = new StateMachine(definition as never, NO_VALIDATE);
      this.#interpreters.set(definition, interpreter);
    }
    const options = { overrides: this.#overrides(scope), context: scope.context, noThrowOnAbort: true };
    const run = interpreter.run(input as never, options as never);
    const onAbort = () => run.abort();
    scope.signal.addEventListener('abort', onAbort, { once: true });
    const drained = (async () => {
      for await (const event of run.eventLogs)
        recordInterpreterEvent(scope.history, scope.lane, event, this.#o.machine.types);
    })();
    const outcome = run.result
      .then((output): RunOutcome => ({ status: 'SUCCEEDED', output: output as Json }), outcomeOfError)
      .then(async (result) => {
        await drained;
        scope.signal.removeEventListener('abort', onAbort);
        return scope.signal.aborted ? { status: 'ABORTED' as const } : result;
      });
    return { outcome };
  }

  #overrides(scope: RunScope) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [name, target] of Object.entries(this.#o.machine.tasks)) {
      if (target.kind === 'ecs-run-task-sync') {
        handlers[name] = (input) =>
          runEcsTask(
            {
              ...scope,
              region: this.#o.region,
              account: LOCAL_ACCOUNT,
              taskDefinitions: this.#o.taskDefinitions ?? {},
            },
            input as Json,
          );
        continue;
      }
      handlers[name] = (input) =>
        runLambdaTask(
          { ...scope, region: this.#o.region, functions: this.#o.functions },
          target,
          input as Json,
        );
    }
    for (const [name, map] of Object.entries(this.#o.machine.maps)) {
      handlers[name] = (input) => runMap(map, input as Json, this.#mapScope(scope));
    }
    const interval = this.#o.retryIntervalMs ?? 50;
    const retryIntervalOverrides = Object.fromEntries(
      Object.keys(this.#o.machine.types).map((name) => [name, interval]),
    );
    return { taskResourceLocalHandlers: handlers, retryIntervalOverrides };
  }

  #mapScope(scope: RunScope): MapScope {
    return {
      ...scope,
      s3: this.#o.s3,
      region: this.#o.region,
      account: LOCAL_ACCOUNT,
      stateMachineName: this.name,
      runChild: (processor, input, child) => this.#child(processor, input, scope, child),
    };
  }

  #child(
    processor: AslDefinition,
    input: Json,
    parent: RunScope,
    child: { lane: Lane; context: Record<string, unknown> },
  ): ChildRun {
    const controller = new AbortController();
    const signal = AbortSignal.any([parent.signal, controller.signal]);
    const { outcome } = this.#run(processor, input, {
      history: parent.history,
      lane: child.lane,
      signal,
      context: child.context,
    });
    return {
      // A child that times out fails its iteration; it has no TIMED_OUT status of its own here.
      outcome: outcome.then((o) =>
        o.status === 'TIMED_OUT' ? { status: 'FAILED', error: o.error, cause: o.cause } : o,
      ),
      abort: () => controller.abort(),
    };
  }
}

function outcomeOfError(error: unknown): RunOutcome {
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than its TimeoutSeconds.',
    };
  }
  const failed =
    error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error | undefined);
  return {
    status: 'FAILED',
    error: failed?.name ?? 'States.Runtime',
    cause: failed?.message ?? String(error),
  };
}

function closingOf(outcome: RunOutcome): Closing {
  if (outcome.status === 'SUCCEEDED') return { status: 'SUCCEEDED', output: jsonText(outcome.output) };
  if (outcome.status === 'ABORTED') return { status: 'ABORTED' };
  return { status: outcome.status, error: outcome.error, cause: outcome.cause };
}
