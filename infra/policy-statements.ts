import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IndexSpec } from '../core/contracts/tables.ts';

/**
 * Policy statements written out by hand instead of CDK's grant helpers, for two reasons: every KMS statement
 * carries a `kms:ViaService` condition (so that a table or bucket grant can never decrypt a secret), and index
 * ARNs are listed by name (no `index/*`).
 */

export type TableAccess = 'read' | 'write' | 'readWrite';

const TABLE_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
// No BatchWriteItem: no function of the pipeline batches writes, and the action alone would let a role delete
// any item. DeleteItem is granted apart (itemDeleteStatement), only where records are finished by deleting them.
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];

const KMS_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_WRITE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** `actions` on a table and on each of its named indexes (reads only: indexes take no writes). */
export function tableStatements(
  table: ITable,
  indexes: readonly IndexSpec[],
  access: TableAccess,
): PolicyStatement[] {
  const reads = access !== 'write';
  const writes = access !== 'read';
  const actions = unique([...(reads ? TABLE_READ : []), ...(writes ? TABLE_WRITE : [])]);
  const statements = [new PolicyStatement({ actions, resources: [table.tableArn] })];
  if (reads && indexes.length > 0) {
    statements.push(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((i) => `${table.tableArn}/index/${i.indexName}`),
      }),
    );
  }
  return statements;
}

/**
 * DeleteItem on a table, alone or inside a transaction (which IAM authorizes item by item). IAM cannot scope it
 * to a sort key prefix, so it reaches every item of the table: grant it only to functions whose code deletes.
 */
export function itemDeleteStatement(table: ITable): PolicyStatement {
  return new PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [table.tableArn] });
}

export type ViaService = 'dynamodb' | 's3' | 'secretsmanager';

/** Use of `key` only through `service` in this stack's region (encrypted tables, objects or secrets). */
export function keyViaStatement(key: IKey, service: ViaService, access: 'read' | 'write'): PolicyStatement {
  const region = Stack.of(key).region;
  return new PolicyStatement({
    actions: access === 'read' ? KMS_READ : KMS_WRITE,
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
  });
}

/** Object actions under one key prefix (`''` for the whole bucket). */
export function objectStatement(
  bucket: IBucket,
  prefix: string,
  actions: readonly string[],
): PolicyStatement {
  return new PolicyStatement({ actions: [...actions], resources: [bucket.arnForObjects(`${prefix}*`)] });
}

/**
 * ListBucket on the whole bucket. Without it a GET or HEAD of a missing object answers 403, not 404, and the
 * code could not tell a missing object (gone, not landed yet) from a denied one. Not restricted by `s3:prefix`:
 * a GET carries no such key, so a conditioned grant would not give it its 404.
 */
export function listStatement(bucket: IBucket): PolicyStatement {
  return new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] });
}

/** The object-level wildcard ARN that `objectStatement` produces, for the matching nag acknowledgement. */
export function objectArn(bucket: IBucket, prefix: string): string {
  return bucket.arnForObjects(`${prefix}*`);
}

/** PutEvents on one bus, the deployment's own (never `default`, never `*`). */
export function putEventsStatement(bus: IEventBus): PolicyStatement {
  return new PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] });
}
