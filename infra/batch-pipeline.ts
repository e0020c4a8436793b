import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { largestWorker, WORKER_SIZES } from '../core/contracts/functions.ts';
import { DATASETS_PREFIX } from '../core/contracts/s3-keys.ts';
import { ContainerFlavors } from './container-flavors.ts';
import type { DataStores } from './data-stores.ts';
import { DatasetSecrets } from './dataset-secrets.ts';
import { PipelineFunctions } from './functions.ts';
import { PipelineMonitoring } from './monitoring.ts';
import { acknowledge } from './nag.ts';
import { OperatorPolicy } from './operator-policy.ts';
import { grantPipelineAccess } from './pipeline-access.ts';
import {
  type ContainersConfig,
  childExecutionType,
  type DatasetConfig,
  type ProcessorConfig,
  type ScheduleConfig,
} from './pipeline-config.ts';
import { RunSchedules } from './schedules.ts';
import { RunJobStateMachine, stateMachineArns } from './state-machine.ts';
import { RunTriggers } from './triggers.ts';

export interface BatchPipelineProps {
  /** Tables, buckets and keys (the stateful half). */
  readonly stores: DataStores;
  /**
   * The processors this deployment runs, with their worker size. ProcessBatch is sized for the largest; that
   * size decides whether the Map's children are EXPRESS or STANDARD.
   */
  readonly processors: readonly ProcessorConfig[];
  /** The file ProcessBatch is bundled from (processBatchEntry of processor-bundle.ts). @default the built-ins' */
  readonly processBatchEntry?: string;
  /** Data sets with a secret (imported by ARN or created empty). @default [] */
  readonly datasets?: readonly DatasetConfig[];
  /** Incremental runs started by EventBridge Scheduler. @default [] */
  readonly schedules?: readonly ScheduleConfig[];
  /** Where alarms are mailed. @default - none */
  readonly alarmEmail?: string;
  /** Container flavors on Fargate (container-flavors.ts). @default none: every batch runs on Lambda */
  readonly containers?: ContainersConfig;
  /** @default `${stackName}-run-job` */
  readonly stateMachineName?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The stateless half: the five handlers, the run state machine, the grants between them, object registration,
 * schedules, alarms and the operators' managed policy.
 */
export class BatchPipeline extends Construct {
  readonly functions: PipelineFunctions;
  readonly runJob: RunJobStateMachine;
  readonly secrets: DatasetSecrets;
  readonly operatorPolicy: OperatorPolicy;
  readonly monitoring: PipelineMonitoring;
  readonly schedules: RunSchedules;
  readonly triggers: RunTriggers;
  readonly registrationDlq: Queue;
  readonly childExecutionType: 'EXPRESS' | 'STANDARD';
  readonly containers?: ContainerFlavors;

  constructor(scope: Construct, id: string, props: BatchPipelineProps) {
    super(scope, id);
    const { stores } = props;
    if (props.processors.length === 0) throw new Error('BatchPipeline needs at least one processor');
    const worker = largestWorker(props.processors.map((p) => WORKER_SIZES[p.size]));
    // A container flavor's batch may run for hours: its child must be Standard (Express lasts 5 minutes).
    this.childExecutionType = props.containers ? 'STANDARD' : childExecutionType(worker.timeoutSeconds);
    const stateMachineName = props.stateMachineName ?? `${Stack.of(this).stackName}-run-job`;
    const arns = stateMachineArns(this, stateMachineName);

    this.secrets = new DatasetSecrets(this, 'DatasetSecrets', {
      datasets: props.datasets ?? [],
      key: stores.secretsKey,
    });
    this.functions = new PipelineFunctions(this, 'Functions', {
      stores,
      worker,
      processBatchEntry: props.processBatchEntry,
      stateMachineArn: arns.stateMachine,
      logRetention: props.logRetention,
    });
    const fns = this.functions;
    grantPipelineAccess({
      functions: fns,
      stores,
      secretArns: this.secrets.secretArns,
      executionsArn: arns.executions,
      stateMachineArn: arns.stateMachine,
    });

    if (props.containers) {
      this.containers = new ContainerFlavors(this, 'Containers', {
        config: props.containers,
        stores,
        secretArns: this.secrets.secretArns,
        environment: fns.workerEnvironment,
        taskFamilyPrefix: `${stateMachineName}-`,
        logRetention: props.logRetention,
      });
    }
    this.runJob = new RunJobStateMachine(this, 'RunJob', {
      stateMachineName,
      planRun: fns.planRun.fn,
      processBatch: fns.processBatch.fn,
      recordFailure: fns.recordFailure.fn,
      finalizeRun: fns.finalizeRun.fn,
      workBucket: stores.workBucket,
      workBucketKey: stores.key,
      childExecutionType: this.childExecutionType,
      containers: this.containers?.target,
      logRetention: props.logRetention,
    });

    this.registrationDlq = new Queue(this, 'RegistrationDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.registrationDlq,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of object registration (EventBridge target and Lambda on-failure) and of triggers (EventBridge targets).',
    );
    fns.registerObjects.fn.configureAsyncInvoke({
      onFailure: new SqsDestination(this.registrationDlq),
      retryAttempts: 2,
    });
    new Rule(this, 'ObjectCreated', {
      description: 'batchkeeper: register new objects of the data bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        // RegisterObjects takes objects under datasets/<datasetId>/; nothing else of the bucket is an item.
        detail: {
          bucket: { name: [stores.dataBucket.bucketName] },
          object: { key: Match.prefix(DATASETS_PREFIX) },
        },
      },
      targets: [
        new LambdaFunction(fns.registerObjects.fn, {
          deadLetterQueue: this.registrationDlq,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    this.triggers = new RunTriggers(this, 'Triggers', {
      bus: stores.eventBus,
      triggerRuns: fns.triggerRuns,
      deadLetterQueue: this.registrationDlq,
    });
    this.schedules = new RunSchedules(this, 'Schedules', {
      stateMachine: this.runJob.stateMachine,
      schedules: props.schedules ?? [],
    });
    this.operatorPolicy = new OperatorPolicy(this, 'OperatorPolicy', {
      stores,
      stateMachineArn: arns.stateMachine,
      executionsArn: arns.executions,
    });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      stateMachine: this.runJob.stateMachine,
      functions: fns.all(),
      registrationDlq: this.registrationDlq,
      key: stores.key,
      alarmEmail: props.alarmEmail,
    });
  }
}
