import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';
import { localEnv } from '../support/local.ts';

type Filter = (value: unknown) => unknown;
type AddMiddleware = (
  middleware: (
    next: (args: unknown) => Promise<unknown>,
    context: { inputFilterSensitiveLog?: Filter; outputFilterSensitiveLog?: Filter },
  ) => (args: unknown) => Promise<unknown>,
  options: { step: 'initialize'; name: string },
) => void;

/**
 * Counts the log entries the SDK builds: its logger middleware filters each request and answer for sensitive
 * members (the context's filter functions) before handing the entry to the logger.
 */
function countLogEntries(client: { middlewareStack: object }) {
  const counts = { built: 0 };
  const stack = client.middlewareStack as { add: AddMiddleware };
  stack.add(
    (next, context) => (args) => {
      for (const name of ['inputFilterSensitiveLog', 'outputFilterSensitiveLog'] as const) {
        const filter = context[name];
        if (typeof filter === 'function')
          context[name] = (value: unknown) => {
            counts.built++;
            return filter(value);
          };
      }
      return next(args);
    },
    { step: 'initialize', name: `count-log-entries-${Math.random()}` },
  );
  return counts;
}

describe('makeClients', () => {
  it('builds no log entry of a request or its answer, and the requests still work', async () => {
    const env = await localEnv('clients-silent');
    const clients = makeClients({
      endpoints: env.endpoints,
      credentials: LOCAL_CREDENTIALS,
      region: LOCAL_REGION,
    });
    const ddb = countLogEntries(clients.doc);
    const s3 = countLogEntries(clients.s3);
    const key = { pk: 'LOG', sk: '1' };

    await clients.doc.send(new PutCommand({ TableName: env.tables.inventory, Item: { ...key, v: 1 } }));
    const got = await clients.doc.send(new GetCommand({ TableName: env.tables.inventory, Key: key }));
    await clients.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'log/1', Body: 'x' }));

    expect(got.Item).toEqual({ ...key, v: 1 });
    expect([ddb.built, s3.built]).toEqual([0, 0]);
  });

  it('is what saves them: clients with the SDK’s default logger build one per request and answer (control)', async () => {
    const env = await localEnv('clients-default-logger');
    const config = { credentials: { ...LOCAL_CREDENTIALS }, region: LOCAL_REGION };
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...config, endpoint: env.endpoints.dynamodb }),
    );
    const s3 = new S3Client({ ...config, endpoint: env.endpoints.s3, forcePathStyle: true });
    const ddbCounts = countLogEntries(doc);
    const s3Counts = countLogEntries(s3);

    await doc.send(new PutCommand({ TableName: env.tables.inventory, Item: { pk: 'LOG', sk: '2' } }));
    await s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'log/2', Body: 'x' }));

    expect([ddbCounts.built, s3Counts.built]).toEqual([2, 2]);
  });
});
