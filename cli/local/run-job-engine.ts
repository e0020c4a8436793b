import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_REGION } from '../../core/adapters/clients.ts';
import { MAP_RESULTS_WRITER_PREFIX } from '../../core/contracts/s3-keys.ts';
import {
  LOCAL_ACCOUNT,
  loadDefinition,
  localFunctionArn,
  localize,
} from './engines/stepfunctions/asl-local.ts';
import type { LocalTaskDefinition } from './engines/stepfunctions/ecs-local.ts';
import type { ExecutionStore } from './engines/stepfunctions/execution-store.ts';
import type { LocalFunction } from './engines/stepfunctions/lambda-local.ts';
import { LocalStepFunctions } from './engines/stepfunctions/sfn-runner.ts';
import { LOCAL_TASK_FAMILY_PREFIX } from './local-containers.ts';

/**
 * statemachines/run-job.asl.json on the local Step Functions engine: the names and ARNs the local mode
 * substitutes where CDK substitutes deployed ones, and the engine that runs it with the local handlers.
 */

export const RUN_JOB_ASL_FILE = fileURLToPath(
  new URL('../../statemachines/run-job.asl.json', import.meta.url),
);

/** Local Lambda function names, by the placeholder that carries each function's ARN in run-job.asl.json. */
export const LOCAL_FUNCTIONS = {
  PlanRunFunctionArn: 'batchkeeper-plan-run',
  ProcessBatchFunctionArn: 'batchkeeper-process-batch',
  RecordFailureFunctionArn: 'batchkeeper-record-failure',
  FinalizeRunFunctionArn: 'batchkeeper-finalize-run',
} as const;

/** What the local mode substitutes where CDK substitutes deployed ARNs and names. */
export function runJobSubstitutions(o: { region: string; workBucket: string }): Record<string, string> {
  const functions = Object.fromEntries(
    Object.entries(LOCAL_FUNCTIONS).map(([placeholder, name]) => [
      placeholder,
      localFunctionArn(o.region, name),
    ]),
  );
  return {
    ...functions,
    // Children run in-process either way; EXPRESS is what a small worker deploys with.
    ChildExecutionType: 'EXPRESS',
    WorkBucketName: o.workBucket,
    MapResultsPrefix: MAP_RESULTS_WRITER_PREFIX,
    // Container flavors run as subprocesses (local-containers.ts): no network of their own.
    ContainerClusterArn: `arn:aws:ecs:${o.region}:${LOCAL_ACCOUNT}:cluster/batchkeeper-local`,
    ContainerTaskFamilyPrefix: LOCAL_TASK_FAMILY_PREFIX,
    ContainerSubnetIds: 'subnet-local',
    ContainerSecurityGroupIds: 'sg-local',
    ContainerAssignPublicIp: 'DISABLED',
  };
}

/**
 * The local engine for statemachines/run-job.asl.json, substituted with local names and validated; `functions`
 * are the handlers Tasks call, by function name (see local-functions.ts).
 */
export function runJobEngine(o: {
  functions: Readonly<Record<string, LocalFunction>>;
  /** What the container flavors run, by task definition family (local-containers.ts). @default none */
  taskDefinitions?: Readonly<Record<string, LocalTaskDefinition>>;
  s3: S3Client;
  store: ExecutionStore;
  stateMachineArn: string;
  workBucket: string;
  retryIntervalMs?: number;
}): LocalStepFunctions {
  const { text, definition } = loadDefinition(
    RUN_JOB_ASL_FILE,
    runJobSubstitutions({ region: LOCAL_REGION, workBucket: o.workBucket }),
  );
  return new LocalStepFunctions({
    machine: localize(definition),
    definitionText: text,
    stateMachineArn: o.stateMachineArn,
    region: LOCAL_REGION,
    functions: o.functions,
    taskDefinitions: o.taskDefinitions,
    s3: o.s3,
    store: o.store,
    retryIntervalMs: o.retryIntervalMs,
  });
}
