import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  BucketAlreadyOwnedByYou,
  type BucketLocationConstraint,
  CreateBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TABLE_SPECS, type TableNames, type TableSpec } from '../../core/contracts/tables.ts';
import { ValidationError } from '../../core/errors.ts';
import { LocalServiceError } from './engines/errors.ts';
import { sleep } from './engines/timing.ts';

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * The names of the three tables under one prefix: `${prefix}-catalog`, `${prefix}-inventory`,
 * `${prefix}-exceptions`.
 */
export function tableNamesFor(prefix: string): TableNames {
  const names: TableNames = {
    catalog: `${prefix}-catalog`,
    inventory: `${prefix}-inventory`,
    exceptions: `${prefix}-exceptions`,
  };
  if (!prefix || !Object.values(names).every((name) => TABLE_NAME.test(name))) {
    throw new ValidationError(
      [{ field: 'prefix', rule: 'must make table names of 3-255 characters [A-Za-z0-9_.-]' }],
      {
        what: 'table prefix',
      },
    );
  }
  return names;
}

/**
 * Create the tables of TABLE_SPECS (on demand, GSIs projecting ALL) and wait until they and their indexes are
 * ACTIVE. A table that exists already is kept, provided it has the indexes the adapters query.
 * @example await createTables(clients.ddb, tableNamesFor('demo'));
 */
export async function createTables(
  ddb: DynamoDBClient,
  names: TableNames,
  timeoutMs = 300_000,
): Promise<void> {
  await Promise.all(
    TABLE_SPECS.map(async (spec) => {
      const tableName = names[spec.role];
      await createTable(ddb, tableName, spec);
      const table = await waitUntilActive(ddb, tableName, timeoutMs);
      checkIndexes(table, spec);
    }),
  );
}

async function createTable(ddb: DynamoDBClient, tableName: string, spec: TableSpec): Promise<void> {
  const attributes = new Set([
    'pk',
    'sk',
    ...spec.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ]);
  const definitions: AttributeDefinition[] = [...attributes].map((name) => ({
    AttributeName: name,
    AttributeType: 'S',
  }));
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: definitions,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes:
          spec.indexes.length === 0
            ? undefined
            : spec.indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' },
                ],
                Projection: { ProjectionType: 'ALL' },
              })),
      }),
    );
  } catch (error) {
    // Another caller (or an earlier run on a persisted database) created it: idempotent by design.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** On AWS a new table takes seconds to turn ACTIVE; DynamoDB Local is ACTIVE at once. */
async function waitUntilActive(
  ddb: DynamoDBClient,
  tableName: string,
  timeoutMs: number,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2_000)) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return Table;
    if (Date.now() > deadline) {
      throw new LocalServiceError(`table ${tableName} is not ACTIVE after ${timeoutMs} ms`, {
        service: 'dynamodb',
        tableName,
        status: Table?.TableStatus,
      });
    }
    await sleep(delay);
  }
}

function checkIndexes(table: TableDescription, spec: TableSpec): void {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = spec.indexes
    .filter((index) => !present.has(index.indexName))
    .map((index) => index.indexName);
  if (missing.length > 0) {
    throw new LocalServiceError(
      `table ${table.TableName} exists without the index(es) ${missing.join(', ')}`,
      {
        service: 'dynamodb',
        tableName: table.TableName,
        missing,
      },
    );
  }
}

/** Create a bucket unless we own it already (us-east-1 answers success to a repeat, other regions an error). */
export async function createBucket(s3: S3Client, name: string): Promise<void> {
  const region = await s3.config.region();
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        // us-east-1 is the one region that refuses an explicit location constraint.
        CreateBucketConfiguration:
          region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
      }),
    );
  } catch (error) {
    // BucketAlreadyExists (someone else's bucket) is a real conflict and stays an error.
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
}
