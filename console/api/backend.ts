import { type StartedRun, startRun } from '../../cli/commands/run-wait.ts';
import { type ListedRun, withExecutionEnd } from '../../cli/commands/runs.ts';
import type { Target } from '../../cli/target.ts';
import type { Deps } from '../../core/deps.ts';
import type { RunInput } from '../../core/events.ts';
import type { Run } from '../../core/model.ts';

/**
 * What the console works on: the same Deps the CLI builds for the target, and the two calls that go past the
 * ports to Step Functions (start an execution, ask how one ended), which the unit tests replace.
 */
export interface ConsoleBackend {
  readonly kind: 'local' | 'aws';
  readonly region: string;
  readonly deps: Deps;
  startRun(input: RunInput): Promise<StartedRun>;
  /** A PLANNED run whose execution ended without Finalize is shown with that end (as `runs list`). */
  executionEnd(run: Run): Promise<ListedRun>;
}

/** The backend of a resolved CLI target: the local mode or a deployed stack. */
export function backendOf(target: Target): ConsoleBackend {
  return {
    kind: target.kind,
    region: target.region,
    deps: target.deps,
    startRun: (input) => startRun(target, input),
    executionEnd: (run) => withExecutionEnd(target, run),
  };
}
