import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IndexSpec } from '../core/tables.ts';

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
// No DeleteItem: history is never deleted by the pipeline (job deletion is an operator's act).
const TABLE_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

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
 * ListBucket, optionally restricted to a prefix. Without it a HEAD on a missing object answers 403, not 404,
 * and the preflight question "is it where the catalog says" could not tell a missing object from a denied one.
 */
export function listStatement(bucket: IBucket, prefix?: string): PolicyStatement {
  return new PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
  });
}

/** The object-level wildcard ARN that `objectStatement` produces, for the matching nag acknowledgement. */
export function objectArn(bucket: IBucket, prefix: string): string {
  return bucket.arnForObjects(`${prefix}*`);
}
