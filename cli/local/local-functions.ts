import { largestWorker, limitsOf, RUN_JOB_FUNCTIONS } from '../../core/contracts/functions.ts';
import type { Deps } from '../../core/deps.ts';
import type { LambdaHandler, LocalFunction } from './engines/stepfunctions/lambda-local.ts';
import { LOCAL_FUNCTIONS } from './run-job-engine.ts';

/**
 * The run-job handlers of functions/, as the local engine invokes them: with the local mode's dependencies and
 * the timeouts and memory they are deployed with, from the function table (core/contracts/functions.ts).
 */
export interface LocalFunctions {
  readonly byName: Readonly<Record<string, LocalFunction>>;
  /** Forget the injected dependencies (the handlers would build their own from the environment again). */
  release(): void;
}

/**
 * Import the handlers (each from its table entry) and inject `deps`. The imports happen here, not at module
 * load, so that the Powertools settings below are in place when the handlers' logger and metrics are built;
 * the environment is then put back.
 */
export async function loadLocalFunctions(deps: Deps, logLevel: string): Promise<LocalFunctions> {
  const restore = setEnvDefaults({
    POWERTOOLS_LOG_LEVEL: logLevel,
    // EMF metrics are for CloudWatch; locally they would be lines of noise on stdout.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  try {
    const [runtime, loaded] = await Promise.all([
      import('../../functions/support/runtime.ts'),
      Promise.all(RUN_JOB_FUNCTIONS.map(async (spec) => ({ spec, handler: await handlerOf(spec.entry) }))),
    ]);
    runtime.useDeps(deps);
    // ProcessBatch serves every processor, so it gets the largest worker's limits, as deployed.
    const worker = largestWorker(deps.processors.names().map((name) => deps.processors.get(name).limits));
    const byName: Record<string, LocalFunction> = Object.fromEntries(
      loaded.map(({ spec, handler }) => [
        LOCAL_FUNCTIONS[spec.placeholder],
        { handler, ...limitsOf(spec, worker) },
      ]),
    );
    return { byName, release: () => runtime.useDeps(undefined) };
  } finally {
    restore();
  }
}

/** The `handler` export of a file of functions/, by its path from the repository root. */
async function handlerOf(entry: string): Promise<LambdaHandler> {
  const module = (await import(`../../${entry}`)) as { handler?: unknown };
  if (typeof module.handler !== 'function') throw new Error(`${entry} exports no handler function`);
  return module.handler as LambdaHandler;
}

/** Set variables that are unset; returns the function that unsets them again. */
function setEnvDefaults(values: Record<string, string>): () => void {
  const added = Object.keys(values).filter((key) => process.env[key] === undefined);
  for (const key of added) process.env[key] = values[key];
  return () => {
    for (const key of added) delete process.env[key];
  };
}
