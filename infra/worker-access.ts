import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { WORK_PREFIXES } from '../core/contracts/s3-keys.ts';
import { TABLE_SPECS } from '../core/contracts/tables.ts';
import type { DataStores, TableRole } from './data-stores.ts';
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

/**
 * What a batch worker may do, wherever it runs: the ProcessBatch Lambda's role and a container flavor's task
 * role get exactly these statements, so that a batch has the same rights on Lambda and on Fargate.
 */

const indexesOf = (role: TableRole) => TABLE_SPECS.find((s) => s.role === role)?.indexes ?? [];

const READ_OBJECTS = ['s3:GetObject'];
const WRITE_OBJECTS = ['s3:PutObject', 's3:AbortMultipartUpload'];
/** Write, and delete again: a worker whose commit is refused because its job was deleted drops what it wrote. */
const OWN_OBJECTS = [...WRITE_OBJECTS, 's3:DeleteObject'];
/** Read, write and delete: staging and publishing exceptions. */
const MOVE_OBJECTS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/** Table statements for `role`, and the data key through DynamoDB (for writing when any grant writes). */
export function grantTables(
  role: IRole,
  stores: DataStores,
  grants: Partial<Record<TableRole, TableAccess>>,
): void {
  let writes = false;
  for (const [table, access] of Object.entries(grants) as [TableRole, TableAccess][]) {
    for (const s of tableStatements(stores.tables[table], indexesOf(table), access))
      role.addToPrincipalPolicy(s);
    writes ||= access !== 'read';
  }
  role.addToPrincipalPolicy(keyViaStatement(stores.key, 'dynamodb', writes ? 'write' : 'read'));
}

/** Object actions under a prefix, with the acknowledgement of its wildcard and why it is right. */
export function grantObjects(
  role: IRole,
  bucket: IBucket,
  prefix: string,
  actions: string[],
  why: string,
): void {
  role.addToPrincipalPolicy(objectStatement(bucket, prefix, actions));
  acknowledgeWildcardResource(role, objectArn(bucket, prefix), why);
}

/**
 * Leases and attempts, exceptions (written, and read to close those it processed as superseded), items from
 * the data bucket, outputs (of the inventory and of sample runs), the data sets' secrets, its commit's event.
 */
export function grantBatchWorker(
  role: IRole,
  { stores, secretArns }: { stores: DataStores; secretArns: readonly string[] },
): void {
  grantTables(role, stores, { inventory: 'readWrite', exceptions: 'readWrite', catalog: 'read' });
  // A worker creates the cuts its Plan left to the run's workers and publishes its staged exceptions: both end by
  // deleting their record.
  role.addToPrincipalPolicy(itemDeleteStatement(stores.tables.inventory));
  grantObjects(
    role,
    stores.dataBucket,
    '',
    READ_OBJECTS,
    'Items are objects of the data bucket named by the catalog; any key of that bucket may be one.',
  );
  role.addToPrincipalPolicy(listStatement(stores.dataBucket));
  // A worker's staged exceptions may have been published (and deleted) by a Plan before the worker got to them.
  role.addToPrincipalPolicy(listStatement(stores.workBucket));
  grantObjects(
    role,
    stores.workBucket,
    WORK_PREFIXES.outputs,
    [...OWN_OBJECTS, 's3:GetObject'],
    "Outputs go to deterministic keys derived from job and batch range, all under the outputs/ prefix; a job over another job's outputs reads them there.",
  );
  grantObjects(
    role,
    stores.workBucket,
    WORK_PREFIXES.samples,
    OWN_OBJECTS,
    'Sample runs write their outputs apart from the inventory, under samples/<job>/<run>/ keys.',
  );
  grantObjects(
    role,
    stores.workBucket,
    WORK_PREFIXES.staging,
    MOVE_OBJECTS,
    'Exceptions beyond what a commit carries are staged under staging/<job>/ and published after it.',
  );
  role.addToPrincipalPolicy(keyViaStatement(stores.key, 's3', 'write'));
  if (secretArns.length > 0) {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...secretArns] }),
    );
    role.addToPrincipalPolicy(keyViaStatement(stores.secretsKey, 'secretsmanager', 'read'));
  }
  role.addToPrincipalPolicy(putEventsStatement(stores.eventBus));
}
