import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DATASETS_PREFIX, WORK_PREFIXES } from '../core/contracts/s3-keys.ts';
import { TABLE_SPECS } from '../core/contracts/tables.ts';
import type { DataStores, TableRole } from './data-stores.ts';
import type { PipelineFunctions } from './functions.ts';
import type { HandlerFunction } from './handler-function.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import {
  itemDeleteStatement,
  keyViaStatement,
  listStatement,
  objectArn,
  objectStatement,
  putEventsStatement,
  type TableAccess,
  tableStatements,
} from './policy-statements.ts';

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

const indexesOf = (role: TableRole) => TABLE_SPECS.find((s) => s.role === role)?.indexes ?? [];

const READ_OBJECTS = ['s3:GetObject'];
const WRITE_OBJECTS = ['s3:PutObject', 's3:AbortMultipartUpload'];
/** Write, and delete again: a worker whose commit is refused because its job was deleted drops what it wrote. */
const OWN_OBJECTS = [...WRITE_OBJECTS, 's3:DeleteObject'];
/** Read, write and delete: moving a split batch's output, staging and publishing exceptions. */
const MOVE_OBJECTS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/**
 * Least privilege, one function at a time. The table below is the whole story: a permission not written here
 * does not exist. Only ProcessBatch reads secrets (and decrypts through Secrets Manager); every other KMS
 * statement is bound to DynamoDB or S3 by `kms:ViaService`. Only the functions that record events (a commit, a
 * run's end) publish them, and only to the deployment's bus.
 */
export function grantPipelineAccess(props: PipelineAccessProps): void {
  const { functions: fns, stores } = props;
  const tables = (fn: HandlerFunction, grants: Partial<Record<TableRole, TableAccess>>) => {
    let writes = false;
    for (const [role, access] of Object.entries(grants) as [TableRole, TableAccess][]) {
      for (const s of tableStatements(stores.tables[role], indexesOf(role), access))
        fn.role.addToPrincipalPolicy(s);
      writes ||= access !== 'read';
    }
    fn.role.addToPrincipalPolicy(keyViaStatement(stores.key, 'dynamodb', writes ? 'write' : 'read'));
  };
  const objects = (fn: HandlerFunction, bucket: IBucket, prefix: string, actions: string[], why: string) => {
    fn.role.addToPrincipalPolicy(objectStatement(bucket, prefix, actions));
    acknowledgeWildcardResource(fn.role, objectArn(bucket, prefix), why);
  };

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

  // ProcessBatch: leases and attempts, exceptions (written, and read to close those it processed as superseded),
  // items from the data bucket, outputs (of the inventory and of sample runs), the data sets' secrets.
  tables(fns.processBatch, { inventory: 'readWrite', exceptions: 'readWrite', catalog: 'read' });
  // ProcessBatch creates the cuts its Plan left to the run's workers and publishes its staged exceptions: both
  // end by deleting their record.
  fns.processBatch.role.addToPrincipalPolicy(itemDeleteStatement(stores.tables.inventory));
  objects(
    fns.processBatch,
    stores.dataBucket,
    '',
    READ_OBJECTS,
    'Items are objects of the data bucket named by the catalog; any key of that bucket may be one.',
  );
  fns.processBatch.role.addToPrincipalPolicy(listStatement(stores.dataBucket));
  // A worker's staged exceptions may have been published (and deleted) by a Plan before the worker got to them.
  fns.processBatch.role.addToPrincipalPolicy(listStatement(stores.workBucket));
  objects(
    fns.processBatch,
    stores.workBucket,
    WORK_PREFIXES.outputs,
    [...OWN_OBJECTS, 's3:GetObject'],
    "Outputs go to deterministic keys derived from job and batch range, all under the outputs/ prefix; a job over another job's outputs reads them there.",
  );
  objects(
    fns.processBatch,
    stores.workBucket,
    WORK_PREFIXES.samples,
    OWN_OBJECTS,
    'Sample runs write their outputs apart from the inventory, under samples/<job>/<run>/ keys.',
  );
  objects(
    fns.processBatch,
    stores.workBucket,
    WORK_PREFIXES.staging,
    MOVE_OBJECTS,
    'Exceptions beyond what a commit carries are staged under staging/<job>/ and published after it.',
  );
  fns.processBatch.role.addToPrincipalPolicy(keyViaStatement(stores.key, 's3', 'write'));
  if (props.secretArns.length > 0) {
    fns.processBatch.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...props.secretArns] }),
    );
    fns.processBatch.role.addToPrincipalPolicy(keyViaStatement(stores.secretsKey, 'secretsmanager', 'read'));
  }

  // RecordFailure: the attempt log and the batch status.
  tables(fns.recordFailure, { inventory: 'readWrite' });

  // Finalize: aggregate the run from the inventory and count its exceptions; it drops the pending marks of the
  // events it publishes (the run's end, and what workers left).
  tables(fns.finalizeRun, { inventory: 'readWrite', exceptions: 'read' });
  fns.finalizeRun.role.addToPrincipalPolicy(itemDeleteStatement(stores.tables.inventory));

  // Events: ProcessBatch publishes its commit, Finalize the run's end, and Plan relays what a dead worker or
  // run recorded but did not publish. RecordFailure and RegisterObjects record no event.
  for (const fn of [fns.planRun, fns.processBatch, fns.finalizeRun])
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
