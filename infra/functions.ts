import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTIONS, type FunctionSpec, limitsOf, type WorkerLimits } from '../core/contracts/functions.ts';
import { ENV } from '../core/contracts/tables.ts';
import type { DataStores } from './data-stores.ts';
import { HandlerFunction } from './handler-function.ts';

export interface PipelineFunctionsProps {
  readonly stores: DataStores;
  /** Size of ProcessBatch: the largest worker among the processors. */
  readonly worker: WorkerLimits;
  /** The file ProcessBatch is bundled from when it carries a user's processors (processor-bundle.ts). */
  readonly processBatchEntry?: string;
  /** ARN of the run state machine (built from its name, so no dependency cycle). */
  readonly stateMachineArn: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The six handlers of functions/, as the function table of core/contracts/functions.ts has them (entry,
 * timeout, memory). Each gets the resource names through ENV and nothing else: permissions are granted by
 * PipelineAccess, one statement at a time. Only the three that publish events (Plan, ProcessBatch, Finalize)
 * get the event bus's name.
 */
export class PipelineFunctions extends Construct {
  readonly planRun: HandlerFunction;
  readonly processBatch: HandlerFunction;
  readonly recordFailure: HandlerFunction;
  readonly finalizeRun: HandlerFunction;
  readonly registerObjects: HandlerFunction;
  readonly triggerRuns: HandlerFunction;
  /** What ProcessBatch is given (resource names and the bus): a container flavor's worker gets the same. */
  readonly workerEnvironment: Readonly<Record<string, string>>;

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
    const publishing = { ...environment, [ENV.eventBus]: stores.eventBus.eventBusName };
    this.workerEnvironment = publishing;
    const fn = (
      spec: FunctionSpec,
      description: string,
      o: { entryFile?: string; publishes?: boolean } = {},
    ) => {
      const limits = limitsOf(spec, props.worker);
      return new HandlerFunction(this, spec.id, {
        environment: o.publishes ? publishing : environment,
        logRetention: props.logRetention,
        entry: spec.entry,
        entryFile: o.entryFile,
        description,
        memorySize: limits.memoryMb,
        timeout: Duration.seconds(limits.timeoutSeconds),
      });
    };

    this.planRun = fn(
      FUNCTIONS.planRun,
      'batchkeeper Plan: validate the input, reserve batch ranges, write the manifest',
      { publishes: true },
    );
    this.processBatch = fn(
      FUNCTIONS.processBatch,
      'batchkeeper ProcessBatch: lease, preflight, process and commit one batch',
      { entryFile: props.processBatchEntry, publishes: true },
    );
    this.recordFailure = fn(
      FUNCTIONS.recordFailure,
      'batchkeeper RecordFailure: log the failed attempt and mark the batch FAILED',
    );
    this.finalizeRun = fn(
      FUNCTIONS.finalizeRun,
      'batchkeeper Finalize: aggregate counts and timings into the run and job records',
      { publishes: true },
    );
    this.registerObjects = fn(
      FUNCTIONS.registerObjects,
      'batchkeeper RegisterObjects: add new objects of the data bucket to the catalog',
    );
    this.triggerRuns = fn(
      FUNCTIONS.triggerRuns,
      'batchkeeper TriggerRuns: start the incremental runs of consumers whose producers committed',
    );
  }

  /** Every handler, for alarms and dashboards. */
  all(): readonly HandlerFunction[] {
    return [
      this.planRun,
      this.processBatch,
      this.recordFailure,
      this.finalizeRun,
      this.registerObjects,
      this.triggerRuns,
    ];
  }
}
