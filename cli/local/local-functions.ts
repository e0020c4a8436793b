import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_REGION } from '../../core/adapters/clients.ts';
import { MAP_RESULTS_WRITER_PREFIX } from '../../core/contracts/s3-keys.ts';
import type { Deps } from '../../core/deps.ts';
import {
  LOCAL_FUNCTIONS,
  loadDefinition,
  localize,
  RUN_JOB_ASL_FILE,
  runJobSubstitutions,
} from './asl-local.ts';
import type { ExecutionStore } from './execution-store.ts';
import type { LocalFunction } from './lambda-local.ts';
import { LocalStepFunctions } from './sfn-runner.ts';

/**
 * The run-job handlers of functions/, as the local engine invokes them: with the local mode's dependencies and
 * the timeouts and memory infra/functions.ts deploys them with.
 */
export interface LocalFunctions {
  readonly byName: Readonly<Record<string, LocalFunction>>;
  /** Forget the injected dependencies (the handlers would build their own from the environment again). */
  release(): void;
}

/**
 * Import the handlers and inject `deps`. The imports happen here, not at module load, so that the Powertools
 * settings below are in place when the handlers' logger and metrics are built; the environment is then put back.
 */
export async function loadLocalFunctions(deps: Deps, logLevel: string): Promise<LocalFunctions> {
  const restore = setEnvDefaults({
    POWERTOOLS_LOG_LEVEL: logLevel,
    // EMF metrics are for CloudWatch; locally they would be lines of noise on stdout.
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  try {
    const [runtime, plan, processBatch, recordFailure, finalize] = await Promise.all([
      import('../../functions/support/runtime.ts'),
      import('../../functions/plan-run.ts'),
      import('../../functions/process-batch.ts'),
      import('../../functions/record-failure.ts'),
      import('../../functions/finalize-run.ts'),
    ]);
    runtime.useDeps(deps);
    const worker = largestWorker(deps);
    const byName: Record<string, LocalFunction> = {
      [LOCAL_FUNCTIONS.PlanRunFunctionArn]: { handler: plan.handler, timeoutSeconds: 300, memoryMb: 1024 },
      [LOCAL_FUNCTIONS.ProcessBatchFunctionArn]: {
        handler: processBatch.handler,
        timeoutSeconds: worker.timeoutSeconds,
        memoryMb: worker.memoryMb,
      },
      [LOCAL_FUNCTIONS.RecordFailureFunctionArn]: { handler: recordFailure.handler, timeoutSeconds: 30 },
      [LOCAL_FUNCTIONS.FinalizeRunFunctionArn]: {
        handler: finalize.handler,
        timeoutSeconds: 300,
        memoryMb: 1024,
      },
    };
    return { byName, release: () => runtime.useDeps(undefined) };
  } finally {
    restore();
  }
}

/** ProcessBatch serves every processor, so it gets the largest worker's timeout, as the deployed function does. */
function largestWorker(deps: Deps): { timeoutSeconds: number; memoryMb: number } {
  const limits = deps.processors.names().map((name) => deps.processors.get(name).limits);
  return limits.reduce(
    (a, b) =>
      b.timeoutSeconds > a.timeoutSeconds ? { timeoutSeconds: b.timeoutSeconds, memoryMb: b.memoryMb } : a,
    {
      timeoutSeconds: 60,
      memoryMb: 512,
    },
  );
}

/** Set variables that are unset; returns the function that unsets them again. */
function setEnvDefaults(values: Record<string, string>): () => void {
  const added = Object.keys(values).filter((key) => process.env[key] === undefined);
  for (const key of added) process.env[key] = values[key];
  return () => {
    for (const key of added) delete process.env[key];
  };
}

/** The local engine for statemachines/run-job.asl.json, substituted with local names and validated. */
export function runJobEngine(o: {
  functions: Readonly<Record<string, LocalFunction>>;
  s3: S3Client;
  store: ExecutionStore;
  stateMachineArn: string;
  workBucket: string;
  retryIntervalMs?: number;
}): LocalStepFunctions {
  const { text, definition } = loadDefinition(
    RUN_JOB_ASL_FILE,
    runJobSubstitutions({
      region: LOCAL_REGION,
      workBucket: o.workBucket,
      mapResultsPrefix: MAP_RESULTS_WRITER_PREFIX,
    }),
  );
  return new LocalStepFunctions({
    machine: localize(definition),
    definitionText: text,
    stateMachineArn: o.stateMachineArn,
    region: LOCAL_REGION,
    functions: o.functions,
    s3: o.s3,
    store: o.store,
    retryIntervalMs: o.retryIntervalMs,
  });
}
