/** The input of a run a trigger starts (a RunInput of core/events.ts). */
export interface StartedRunInput {
  readonly jobId: string;
  readonly mode: 'incremental';
}

/** Starts runs (Step Functions executions) by name: the name is the run id, so a name starts at most one run. */
export interface RunStarter {
  /** `exists` when an execution of that name was started before (the start is then not repeated). */
  start(name: string, input: StartedRunInput): Promise<'started' | 'exists'>;
}
