/**
 * The pipeline's Lambda functions, one row each: the CDK app deploys them from this table (infra/functions.ts)
 * and the local mode runs the same handlers with the same limits (cli/local/local-functions.ts), so a handler
 * times out locally when it would on AWS.
 */

/** Memory and timeout of one worker. */
export interface WorkerLimits {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
}

/**
 * Lambda presets a processor picks by name. ProcessBatch is sized from them, and a timeout over Express's five
 * minutes makes the run choose Standard children.
 */
export const WORKER_SIZES = {
  small: { memoryMb: 512, timeoutSeconds: 60 },
  medium: { memoryMb: 1769, timeoutSeconds: 300 },
  large: { memoryMb: 3008, timeoutSeconds: 900 },
} as const satisfies Record<string, WorkerLimits>;

export type WorkerSize = keyof typeof WORKER_SIZES;

/** ProcessBatch serves every processor, so it is sized for the largest worker: small when there is none. */
export function largestWorker(workers: readonly WorkerLimits[]): WorkerLimits {
  return workers.reduce<WorkerLimits>(
    (a, b) => (b.timeoutSeconds > a.timeoutSeconds ? b : a),
    WORKER_SIZES.small,
  );
}

/** Placeholders of statemachines/run-job.asl.json that carry the ARNs of the functions a run invokes. */
export type RunJobPlaceholder =
  | 'PlanRunFunctionArn'
  | 'ProcessBatchFunctionArn'
  | 'RecordFailureFunctionArn'
  | 'FinalizeRunFunctionArn';

export interface FunctionSpec {
  /** The function's construct id in the CDK app. */
  readonly id: string;
  /** The handler's file, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  /** Its timeout and memory, or those of the deployment's largest worker (see largestWorker). */
  readonly limits: WorkerLimits | 'largest worker';
  /** The placeholder of run-job.asl.json that carries its ARN; absent for a function the run does not invoke. */
  readonly placeholder?: RunJobPlaceholder;
}

/** Every handler of functions/. */
export const FUNCTIONS = {
  planRun: {
    id: 'PlanRun',
    entry: 'functions/plan-run.ts',
    limits: { memoryMb: 1024, timeoutSeconds: 300 },
    placeholder: 'PlanRunFunctionArn',
  },
  processBatch: {
    id: 'ProcessBatch',
    entry: 'functions/process-batch.ts',
    limits: 'largest worker',
    placeholder: 'ProcessBatchFunctionArn',
  },
  recordFailure: {
    id: 'RecordFailure',
    entry: 'functions/record-failure.ts',
    limits: { memoryMb: 512, timeoutSeconds: 30 },
    placeholder: 'RecordFailureFunctionArn',
  },
  finalizeRun: {
    id: 'FinalizeRun',
    entry: 'functions/finalize-run.ts',
    limits: { memoryMb: 1024, timeoutSeconds: 300 },
    placeholder: 'FinalizeRunFunctionArn',
  },
  registerObjects: {
    id: 'RegisterObjects',
    entry: 'functions/register-objects.ts',
    limits: { memoryMb: 512, timeoutSeconds: 60 },
  },
  triggerRuns: {
    id: 'TriggerRuns',
    entry: 'functions/trigger-runs.ts',
    limits: { memoryMb: 512, timeoutSeconds: 60 },
  },
} as const satisfies Record<string, FunctionSpec>;

/** A function run-job.asl.json invokes: its ARN is substituted for its placeholder. */
export type RunJobFunctionSpec = FunctionSpec & { readonly placeholder: RunJobPlaceholder };

/** The functions run-job.asl.json invokes. */
export const RUN_JOB_FUNCTIONS: readonly RunJobFunctionSpec[] = (
  Object.values(FUNCTIONS) as readonly FunctionSpec[]
).filter((spec): spec is RunJobFunctionSpec => spec.placeholder !== undefined);

/**
 * The timeout and memory a function is deployed and run locally with.
 * @example limitsOf(FUNCTIONS.processBatch, largestWorker([WORKER_SIZES.medium])) // WORKER_SIZES.medium
 */
export const limitsOf = (spec: FunctionSpec, worker: WorkerLimits): WorkerLimits =>
  spec.limits === 'largest worker' ? worker : spec.limits;
