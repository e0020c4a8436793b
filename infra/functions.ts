import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../core/contracts/tables.ts';
import type { DataStores } from './data-stores.ts';
import { HandlerFunction } from './handler-function.ts';
import type { WorkerSpec } from './pipeline-config.ts';

export interface PipelineFunctionsProps {
  readonly stores: DataStores;
  /** Size of ProcessBatch: the largest worker among the processors. */
  readonly worker: WorkerSpec;
  /** ARN of the run state machine (built from its name, so no dependency cycle). */
  readonly stateMachineArn: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The five handlers of functions/. Each gets the resource names through ENV and nothing else: permissions are
 * granted by PipelineAccess, one statement at a time.
 */
export class PipelineFunctions extends Construct {
  readonly planRun: HandlerFunction;
  readonly processBatch: HandlerFunction;
  readonly recordFailure: HandlerFunction;
  readonly finalizeRun: HandlerFunction;
  readonly registerObjects: HandlerFunction;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    const { stores } = props;
    const environment: Record<string, string> = {
      [ENV.catalogTable]: stores.tables.catalog.tableName,
      [ENV.inventoryTable]: stores.tables.inventory.tableName,
      [ENV.exceptionsTable]: stores.tables.exceptions.tableName,
      [ENV.dataBucket]: stores.dataBucket.bucketName,
      [ENV.workBucket]: stores.workBucket.bucketName,
      [ENV.stateMachineArn]: props.stateMachineArn,
    };
    const common = { environment, logRetention: props.logRetention };

    this.planRun = new HandlerFunction(this, 'PlanRun', {
      ...common,
      handler: 'plan-run',
      description: 'batchkeeper Plan: validate the input, reserve batch ranges, write the manifest',
      memorySize: 1024,
      timeout: Duration.seconds(300),
    });
    this.processBatch = new HandlerFunction(this, 'ProcessBatch', {
      ...common,
      handler: 'process-batch',
      description: 'batchkeeper ProcessBatch: lease, preflight, process and commit one batch',
      memorySize: props.worker.memoryMb,
      timeout: Duration.seconds(props.worker.timeoutSeconds),
    });
    this.recordFailure = new HandlerFunction(this, 'RecordFailure', {
      ...common,
      handler: 'record-failure',
      description: 'batchkeeper RecordFailure: log the failed attempt and mark the batch FAILED',
      timeout: Duration.seconds(30),
    });
    this.finalizeRun = new HandlerFunction(this, 'FinalizeRun', {
      ...common,
      handler: 'finalize-run',
      description: 'batchkeeper Finalize: aggregate counts and timings into the run and job records',
      memorySize: 1024,
      timeout: Duration.seconds(300),
    });
    this.registerObjects = new HandlerFunction(this, 'RegisterObjects', {
      ...common,
      handler: 'register-objects',
      description: 'batchkeeper RegisterObjects: add new objects of the data bucket to the catalog',
      timeout: Duration.seconds(60),
    });
  }

  /** Every handler, for alarms and dashboards. */
  all(): readonly HandlerFunction[] {
    return [this.planRun, this.processBatch, this.recordFailure, this.finalizeRun, this.registerObjects];
  }
}
