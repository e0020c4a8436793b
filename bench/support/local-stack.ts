import { createBucket, createTables, tableNamesFor } from '../../cli/local/create-resources.ts';
import { startDynamoDbLocal } from '../../cli/local/engines/dynamodb-local/dynamodb-local.ts';
import { startMoto } from '../../cli/local/engines/moto.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';

/** DynamoDB Local and moto for one benchmark, with fresh tables and buckets; stop() ends both. */
export async function localStack(label: string) {
  const [ddb, moto] = await Promise.all([startDynamoDbLocal(), startMoto()]);
  const endpoints = {
    dynamodb: ddb.endpoint,
    s3: moto.endpoint,
    secretsmanager: moto.endpoint,
    kms: moto.endpoint,
  };
  const clients = makeClients({ endpoints, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION });
  const tables = tableNamesFor(`bench-${label}`);
  const buckets = { work: `bench-${label}-work`, data: `bench-${label}-data` };
  await Promise.all([
    createTables(clients.ddb, tables),
    createBucket(clients.s3, buckets.work),
    createBucket(clients.s3, buckets.data),
  ]);
  return {
    clients,
    tables,
    buckets,
    endpoints,
    stop: async () => {
      await Promise.all([ddb.stop(), moto.stop()]);
    },
  };
}
