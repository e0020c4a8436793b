import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DATASETS_PREFIX, WORK_PREFIXES } from '../core/contracts/s3-keys.ts';
import type { DataStores, TableRole } from './data-stores.ts';
import type { PipelineFunctions } from './functions.ts';
import type { HandlerFunction } from './handler-function.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import {
  itemDeleteStatement,
  keyViaStatement,
  listStatement,
  putEventsStatement,
  type TableAccess,
} from './policy-statements.ts';
import { grantBatchWorker, grantObjects, grantTables } from './worker-access.ts';

export interface PipelineAccessProps {
  readonly functions: PipelineFunctions;
  readonly stores: DataStores;
  /** Complete ARNs of the data sets' secrets: only ProcessBatch may read them. */
  readonly secretArns: readonly string[];
  /** ARN pattern of the run state machine's executions (Plan checks whether a run is still alive). */
  readonly executionsArn: string;
  /** ARN of the run state machine: TriggerRuns starts its executions. */
  readonly stateMachineArn: string;
}

const READ_OBJECTS = ['s3:GetObject'];
const WRITE_OBJECTS = ['s3:PutObject', 's3:AbortMultipartUpload'];
/** Read, write and delete: moving a split batch's output. */
const MOVE_OBJECTS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/**
 * Least privilege, one function at a time. The table below is the whole story: a permission not written here
 * does not exist. Only ProcessBatch reads secrets (and decrypts through Secrets Manager); every other KMS
 * statement is bound to DynamoDB or S3 by `kms:ViaService`. Only the functions that record events (a commit, a
 * run's end) publish them, and only to the deployment's bus.
 */
export function grantPipelineAccess(props: PipelineAccessProps): void {
  const { functions: fns, stores } = props;
  const tables = (fn: HandlerFunction, grants: Partial<Record<TableRole, TableAccess>>) =>
    grantTables(fn.role, stores, grants);
  const objects = (fn: HandlerFunction, bucket: IBucket, prefix: string, actions: string[], why: string) =>
    grantObjects(fn.role, bucket, prefix, actions, why);

  // Plan: reserve ranges in the inventory, read the catalog's high id, write the manifest, check run liveness;
  // move the output of a batch a backfill splits into its parts' objects; finish what dead workers left
  // (staged exceptions of a committed attempt, and the open exceptions it processed, read and closed as superseded).
  tables(fns.planRun, { inventory: 'readWrite', exceptions: 'readWrite', catalog: 'read' });
  // Plan finishes what it and dead workers recorded by deleting the record in the same transaction: a cut once
  // its batches are created, a split's move once the parts own their outputs, a staged publish once published.
  // Batches, attempts and runs are never deleted by the pipeline (job deletion is an operator's act).
  fns.planRun.role.addToPrincipalPolicy(itemDeleteStatement(stores.tables.inventory));
  objects(
    fns.planRun,
    stores.workBucket,
    WORK_PREFIXES.outputs,
    MOVE_OBJECTS,
    'A backfill cutting a batch moves its output object into one object per part, under outputs/<job>/.',
  );
  objects(
    fns.planRun,
    stores.workBucket,
    WORK_PREFIXES.staging,
    ['s3:GetObject', 's3:DeleteObject'],
    'Plan publishes exceptions a dead worker staged under staging/<job>/ before its commit.',
  );
  objects(
    fns.planRun,
    stores.workBucket,
    WORK_PREFIXES.manifests,
    WRITE_OBJECTS,
    'Plan writes one manifest per run; its key embeds the job and run ids, so only the prefix is fixed.',
  );
  // Staged exceptions and split outputs may be gone when Plan reads them (published by another, expired): only
  // with ListBucket does S3 answer 404 for those, not 403.
  fns.planRun.role.addToPrincipalPolicy(listStatement(stores.workBucket));
  fns.planRun.role.addToPrincipalPolicy(keyViaStatement(stores.key, 's3', 'write'));
  fns.planRun.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [props.executionsArn] }),
  );
  acknowledgeWildcardResource(
    fns.planRun.role,
    props.executionsArn,
    'Plan asks whether the run that holds a reservation is still alive; run ids are execution names.',
  );

  // ProcessBatch: what every batch worker is granted, Lambda or container (worker-access.ts).
  grantBatchWorker(fns.processBatch.role, { stores, secretArns: props.secretArns });

  // RecordFailure: the attempt log and the batch status.
  tables(fns.recordFailure, { inventory: 'readWrite' });

  // Finalize: aggregate the run from the inventory and count its exceptions; it drops the pending marks of the
  // events it publishes (the run's end, and what workers left).
  tables(fns.finalizeRun, { inventory: 'readWrite', exceptions: 'read' });
  fns.finalizeRun.role.addToPrincipalPolicy(itemDeleteStatement(stores.tables.inventory));

  // Events: ProcessBatch publishes its commit (granted with the worker's access), Finalize the run's end, and
  // Plan relays what a dead worker or run recorded but did not publish. RecordFailure and RegisterObjects record
  // no event.
  for (const fn of [fns.planRun, fns.finalizeRun])
    fn.role.addToPrincipalPolicy(putEventsStatement(stores.eventBus));

  // TriggerRuns: reads jobs, runs, batches and data sets to see whether a triggered job has work, asks whether
  // its runs are live, and starts its incremental run.
  tables(fns.triggerRuns, { inventory: 'read', catalog: 'read' });
  fns.triggerRuns.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:StartExecution'], resources: [props.stateMachineArn] }),
  );
  fns.triggerRuns.role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [props.executionsArn] }),
  );
  acknowledgeWildcardResource(
    fns.triggerRuns.role,
    props.executionsArn,
    "TriggerRuns asks whether a job's runs are still alive; run ids are execution names.",
  );

  // RegisterObjects: new objects under datasets/ of the data bucket become catalog entries.
  tables(fns.registerObjects, { catalog: 'readWrite' });
  objects(
    fns.registerObjects,
    stores.dataBucket,
    DATASETS_PREFIX,
    READ_OBJECTS,
    'RegisterObjects reads the objects that land under datasets/<datasetId>/, whatever their names.',
  );
  fns.registerObjects.role.addToPrincipalPolicy(listStatement(stores.dataBucket));
  fns.registerObjects.role.addToPrincipalPolicy(keyViaStatement(stores.key, 's3', 'read'));
}
