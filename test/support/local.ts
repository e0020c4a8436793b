import { randomBytes, randomUUID } from 'node:crypto';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { createBucket, createTables, tableNamesFor } from '../../cli/local/create-resources.ts';
import { type Clients, LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';
import type { TableNames } from '../../core/contracts/tables.ts';

export interface LocalEnv {
  readonly clients: Clients;
  readonly tables: TableNames;
  /** Work bucket: manifests, outputs. */
  readonly bucket: string;
  /** Data bucket: the items of data sets. */
  readonly dataBucket: string;
  readonly endpoints: { dynamodb: string; s3: string; secretsmanager: string; kms: string };
}

let shared: { key: string; clients: Clients } | undefined;

/**
 * Fresh tables and buckets on the run's local engines, named after `label` plus a random suffix, so that tests
 * (and concurrent workers) never see each other's data. Clients are built once per worker.
 * @example const env = await localEnv('inventory-claim');
 */
export async function localEnv(label: string): Promise<LocalEnv> {
  const { dynamodb, moto } = inject('localEndpoints');
  const endpoints = { dynamodb, s3: moto, secretsmanager: moto, kms: moto };
  const clients = clientsFor(endpoints);
  const prefix = `bk-${slug(label)}-${randomBytes(4).toString('hex')}`;
  const tables = tableNamesFor(prefix);
  const bucket = `${prefix}-work`;
  const dataBucket = `${prefix}-data`;
  await Promise.all([
    createTables(clients.ddb, tables),
    createBucket(clients.s3, bucket),
    createBucket(clients.s3, dataBucket),
  ]);
  return { clients, tables, bucket, dataBucket, endpoints };
}

function clientsFor(endpoints: LocalEnv['endpoints']): Clients {
  const key = JSON.stringify(endpoints);
  if (shared?.key !== key) {
    shared = {
      key,
      clients: makeClients({ endpoints, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION }),
    };
  }
  return shared.clients;
}

/** Lower-case letters, digits and hyphens, short enough for a bucket name (63 characters at most). */
function slug(label: string): string {
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return cleaned || 'test';
}

/**
 * Items per table, counted with paged Scans: bad-input tests compare it before and after to prove that nothing
 * was written.
 */
export async function countItems(env: {
  readonly clients: Pick<Clients, 'ddb'>;
  readonly tables: TableNames;
}): Promise<Record<keyof TableNames, number>> {
  const roles = Object.keys(env.tables) as Array<keyof TableNames>;
  const counts = await Promise.all(roles.map((role) => countTable(env.clients, env.tables[role])));
  return Object.fromEntries(roles.map((role, i) => [role, counts[i] ?? 0])) as Record<
    keyof TableNames,
    number
  >;
}

async function countTable(clients: Pick<Clients, 'ddb'>, tableName: string): Promise<number> {
  let total = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await clients.ddb.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    total += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return total;
}

/** Counts the commands sent through the shared client (per send, not per SDK retry) until `stop()`. */
export function countRequests(env: LocalEnv) {
  const name = `count-${randomUUID()}`;
  const counts: Record<string, number> = {};
  env.clients.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { counts, stop: () => env.clients.doc.middlewareStack.remove(name) };
}
