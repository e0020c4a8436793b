/**
 * What batchkeeper tells the world: one event per committed batch and one per finished run. Events are kept
 * first in the job's event log (core/ports/event-log.ts, written with the commit or the run's end) and then
 * published to the bus, at least once: a consumer tells repeats apart by `eventId`.
 */
export interface JobEvent {
  /** Unique and stable: `<jobId>/<scope><batch start>#<token>` for a batch, `<jobId>/run#<runId>` for a run. */
  readonly eventId: string;
  readonly type: 'BatchCommitted' | 'RunFinished';
  readonly jobId: string;
  readonly runId: string;
  /** When the commit or the run's end was recorded (ISO). */
  readonly at: string;
  /** BatchCommitted: scope, start, end, configHash, itemsSucceeded, itemsExcepted, outputKey, token, attempt.
   *  RunFinished: mode, status, batches and items counts. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Where events are published: EventBridge on AWS; in the local mode the event log is the only record. */
export interface EventBus {
  /** Publish, or throw: a partial failure throws after what went out went out (publishing again is harmless). */
  publish(events: readonly JobEvent[]): Promise<void>;
}

/** The id of a commit's event: the batch and the token that committed it. */
export function batchEventId(c: {
  readonly jobId: string;
  readonly scope: { kind: 'inventory' } | { kind: 'sample'; runId: string };
  readonly start: number;
  readonly token: number;
}): string {
  const scope = c.scope.kind === 'inventory' ? 'B' : `S#${c.scope.runId}#B`;
  return `${c.jobId}/${scope}#${c.start}#${c.token}`;
}

/** The event of a commit: what a consumer needs to read the range's output. */
export function batchCommitted(
  c: {
    readonly jobId: string;
    readonly runId: string;
    readonly scope: { kind: 'inventory' } | { kind: 'sample'; runId: string };
    readonly start: number;
    readonly end: number;
    readonly token: number;
    readonly attempt: number;
    readonly configHash: string;
    readonly itemsSucceeded: number;
    readonly itemsExcepted: number;
    readonly outputKey?: string;
  },
  at: string,
): JobEvent {
  return {
    eventId: batchEventId(c),
    type: 'BatchCommitted',
    jobId: c.jobId,
    runId: c.runId,
    at,
    detail: {
      scope: c.scope.kind,
      start: c.start,
      end: c.end,
      configHash: c.configHash,
      itemsSucceeded: c.itemsSucceeded,
      itemsExcepted: c.itemsExcepted,
      ...(c.outputKey ? { outputKey: c.outputKey } : {}),
      token: c.token,
      attempt: c.attempt,
    },
  };
}

/** The event of a run's end, with its counts. */
export function runFinished(
  r: { readonly jobId: string; readonly runId: string; readonly mode: string; readonly status: string },
  counts: Readonly<Record<string, number>>,
  at: string,
): JobEvent {
  return {
    eventId: `${r.jobId}/run#${r.runId}`,
    type: 'RunFinished',
    jobId: r.jobId,
    runId: r.runId,
    at,
    detail: { mode: r.mode, status: r.status, ...counts },
  };
}
