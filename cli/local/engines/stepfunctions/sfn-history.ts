import type { StateMachine } from 'aws-local-stepfunctions';

/**
 * Execution history shaped as GetExecutionHistory returns it on the wire (AWS JSON 1.0: timestamps in epoch
 * seconds, inputs and outputs as JSON text), built from the interpreter's event log plus what the local runner
 * knows and the interpreter does not (Lambda scheduling, Map runs and iterations).
 */

/** One event as the AWS JSON protocol carries it. */
export interface HistoryEvent {
  readonly timestamp: number;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: unknown;
}

/** The interpreter's event, as its run() yields it (the library does not export the type). */
export type InterpreterEvent =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/**
 * One thread of events: the execution, or one Map iteration. previousEventId links an event to the last one of
 * its thread, as on AWS where concurrent iterations interleave.
 */
export interface Lane {
  last: number;
  /** The interpreter caught an error: the state's next exit is not a success. */
  caught: boolean;
  /** The runner already wrote TaskFailed for the failure the interpreter reports next. */
  failureRecorded: boolean;
}

export const newLane = (parent?: { readonly last: number }): Lane => ({
  last: parent?.last ?? 0,
  caught: false,
  failureRecorded: false,
});

/** `TaskStateEntered` -> `stateEnteredEventDetails`, `MapRunStarted` -> `mapRunStartedEventDetails`. */
function detailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${lowerFirst(type)}EventDetails`;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** JSON text of a value, as history details carry inputs and outputs. */
export const jsonText = (value: unknown): string => JSON.stringify(value ?? null);

/**
 * Appends events to one execution's history and tells its owner, which persists it. Once the execution is
 * closed nothing more is appended: on AWS the closing event is the last one, even when iterations were still
 * winding down.
 */
export class ExecutionHistory {
  constructor(
    readonly events: HistoryEvent[],
    private readonly changed: () => void,
    private readonly isOpen: () => boolean = () => true,
  ) {}

  append(
    lane: Lane,
    type: string,
    details?: Record<string, unknown>,
    at = Date.now(),
  ): HistoryEvent | undefined {
    if (!this.isOpen()) return undefined;
    const event: HistoryEvent = {
      timestamp: at / 1000,
      type,
      id: this.events.length + 1,
      previousEventId: lane.last,
      ...(details === undefined ? {} : { [detailsKey(type)]: details }),
    };
    this.events.push(event);
    lane.last = event.id;
    this.changed();
    return event;
  }
}

const ENTERED: Readonly<Record<string, string>> = {
  Task: 'TaskStateEntered',
  Map: 'MapStateEntered',
  Parallel: 'ParallelStateEntered',
  Pass: 'PassStateEntered',
  Wait: 'WaitStateEntered',
  Choice: 'ChoiceStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
};

/**
 * Translate one interpreter event. `types` gives each state's type as written (a Map runs as a Task locally).
 * Execution-level events are written by the runner, once the log is drained, so that they come last.
 */
export function recordInterpreterEvent(
  history: ExecutionHistory,
  lane: Lane,
  event: InterpreterEvent,
  types: Readonly<Record<string, string>>,
): void {
  if (!('state' in event) || event.state === undefined) return;
  const name = event.state.name;
  const type = types[name] ?? event.state.type;
  const at = event.timestamp;
  switch (event.type) {
    case 'StateEntered':
      lane.caught = false;
      history.append(lane, ENTERED[type] ?? `${type}StateEntered`, entered(name, event.state.input), at);
      return;
    case 'StateExited':
      if ((type === 'Map' || type === 'Parallel') && !lane.caught) {
        history.append(lane, `${type}StateSucceeded`, undefined, at);
      }
      history.append(lane, `${type}StateExited`, exited(name, event.state.output), at);
      return;
    case 'StateFailed':
      recordFailure(history, lane, type, event, at);
      return;
    case 'StateCaught':
      lane.caught = true;
      return;
    default:
      // StateRetried has no AWS counterpart: a retry shows as the next TaskScheduled.
      return;
  }
}

const entered = (name: string, input: unknown) => ({
  name,
  input: jsonText(input),
  inputDetails: { truncated: false },
});
const exited = (name: string, output: unknown) => ({
  name,
  output: jsonText(output),
  outputDetails: { truncated: false },
});

function recordFailure(
  history: ExecutionHistory,
  lane: Lane,
  type: string,
  event: InterpreterEvent,
  at: number,
): void {
  const { Error: error, Cause: cause } = event as { Error?: string; Cause?: unknown };
  if (type === 'Map' || type === 'Parallel') {
    history.append(lane, `${type}StateFailed`, undefined, at);
    return;
  }
  if (type !== 'Task') return;
  if (lane.failureRecorded) {
    lane.failureRecorded = false;
    return;
  }
  // Failures the runner never saw: the state's TimeoutSeconds, or a path that did not resolve.
  const details = {
    resourceType: 'lambda',
    resource: 'invoke',
    error,
    cause: typeof cause === 'string' ? cause : jsonText(cause),
  };
  if (error === 'States.Timeout') history.append(lane, 'TaskTimedOut', details, at);
}
