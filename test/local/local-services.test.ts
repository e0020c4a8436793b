import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { createTables, tableNamesFor } from '../../cli/local/create-resources.ts';
import { startDynamoDbLocal } from '../../cli/local/engines/dynamodb-local/dynamodb-local.ts';
import { startMoto } from '../../cli/local/engines/moto.ts';
import { isAlive } from '../../cli/local/engines/processes.ts';
import { connectOnce, freePort, waitForPort } from '../../cli/local/engines/tcp.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';
import { TABLE_SPECS } from '../../core/contracts/tables.ts';
import { ValidationError } from '../../core/errors.ts';
import { ENGINE_START_WITHIN_MS } from '../support/global-setup.ts';
import { countItems, localEnv } from '../support/local.ts';

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** Every address of this machine that is not 127.0.0.1 (link-local IPv6 needs a scope id: skipped). */
function otherAddresses(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((a) => !a.internal && !a.address.startsWith('fe80:')).map((a) => a.address);
  return [...external, '127.0.0.2', '::1'];
}

const hasIpv6Loopback = () =>
  Object.values(networkInterfaces()).some((list) => list?.some((a) => a.internal && a.family === 'IPv6'));

const ddbClient = (endpoint: string) =>
  makeClients({ endpoints: { dynamodb: endpoint }, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION })
    .ddb;

/** Live (not zombie) processes of a process group, from ps: a zombie is dead, only waiting for init. */
function liveMembers(pgid: number): number[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

describe('startDynamoDbLocal', () => {
  it('answers ListTables on 127.0.0.1 and nowhere else', async () => {
    const { dynamodb } = inject('localEndpoints');
    const port = portOf(dynamodb);
    expect(new URL(dynamodb).hostname).toBe('127.0.0.1');
    await expect(ddbClient(dynamodb).send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
    for (const address of otherAddresses()) {
      await expect(connectOnce(address, port, 1_000), `reachable on ${address}`).rejects.toThrow();
    }
  });

  it('probes addresses that do reach a server bound to every interface (control)', async () => {
    const server = createServer().listen(0);
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      for (const address of otherAddresses().filter((a) => a !== '::1' || hasIpv6Loopback())) {
        await expect(connectOnce(address, port, 5_000), `unreachable on ${address}`).resolves.toBeUndefined();
      }
    } finally {
      server.close();
    }
  });

  it('starts and stops a second instance, leaving no process behind', async () => {
    const second = await startDynamoDbLocal({ startTimeoutMs: ENGINE_START_WITHIN_MS });
    console.log(`second DynamoDB Local ready in ${second.startedInMs} ms`);
    expect(second.endpoint).not.toBe(inject('localEndpoints').dynamodb);
    await expect(ddbClient(second.endpoint).send(new ListTablesCommand({}))).resolves.toBeDefined();
    await second.stop();
    expect(isAlive(second.pid)).toBe(false);
    expect(liveMembers(second.pid)).toEqual([]);
    await expect(connectOnce('127.0.0.1', second.port, 1_000)).rejects.toThrow();
  });

  it('keeps tables across restarts when given a data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bk-ddb-'));
    try {
      const first = await startDynamoDbLocal({ dataDir, startTimeoutMs: ENGINE_START_WITHIN_MS });
      await createTables(ddbClient(first.endpoint), tableNamesFor('persisted'));
      await first.stop();
      const again = await startDynamoDbLocal({ dataDir, startTimeoutMs: ENGINE_START_WITHIN_MS });
      const { TableNames } = await ddbClient(again.endpoint).send(new ListTablesCommand({}));
      await again.stop();
      expect(TableNames).toEqual(['persisted-catalog', 'persisted-exceptions', 'persisted-inventory']);
      expect(isAlive(again.pid)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('createTables', () => {
  it('creates every table with its GSIs, on demand, projecting ALL', async () => {
    const env = await localEnv('create-tables');
    for (const spec of TABLE_SPECS) {
      const { Table } = await env.clients.ddb.send(
        new DescribeTableCommand({ TableName: env.tables[spec.role] }),
      );
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
        name: i.IndexName,
        keys: i.KeySchema?.map((k) => k.AttributeName),
        projection: i.Projection?.ProjectionType,
      }));
      expect(indexes.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual(
        [...spec.indexes]
          .sort((a, b) => a.indexName.localeCompare(b.indexName))
          .map((i) => ({ name: i.indexName, keys: [i.partitionKey, i.sortKey], projection: 'ALL' })),
      );
    }
  });

  it('is idempotent: a second call keeps the tables and their items', async () => {
    const env = await localEnv('create-twice');
    const item = { pk: { S: 'J#a' }, sk: { S: 'META' } };
    await env.clients.ddb.send(new PutItemCommand({ TableName: env.tables.inventory, Item: item }));
    await createTables(env.clients.ddb, env.tables);
    expect(await countItems(env)).toEqual({ catalog: 0, inventory: 1, exceptions: 0 });
  });

  it('refuses an existing table that lacks an index', async () => {
    const env = await localEnv('missing-index');
    const names = tableNamesFor(`${env.tables.catalog}-x`);
    await env.clients.ddb.send(
      new CreateTableCommand({
        TableName: names.inventory,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
    await expect(createTables(env.clients.ddb, names)).rejects.toThrow(/without the index\(es\) open, byRun/);
  });

  it('names tables after a prefix and rejects a prefix DynamoDB would refuse', () => {
    expect(tableNamesFor('demo')).toEqual({
      catalog: 'demo-catalog',
      inventory: 'demo-inventory',
      exceptions: 'demo-exceptions',
    });
    expect(() => tableNamesFor('has space')).toThrow(ValidationError);
    expect(() => tableNamesFor('')).toThrow(ValidationError);
  });
});

describe('moto', () => {
  it('serves S3 put and get into fresh buckets', async () => {
    const env = await localEnv('moto-s3');
    expect(env.bucket).not.toBe(env.dataBucket);
    const { s3 } = env.clients;
    await s3.send(new PutObjectCommand({ Bucket: env.dataBucket, Key: 'items/1.json', Body: '{"id":1}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: env.dataBucket, Key: 'items/1.json' }));
    expect(await got.Body?.transformToString()).toBe('{"id":1}');
  });

  it('encrypts with a KMS key and keeps a secret encrypted with it', async () => {
    const { clients } = await localEnv('moto-kms');
    const { KeyMetadata } = await clients.kms.send(new CreateKeyCommand({ Description: 'batchkeeper test' }));
    const keyId = KeyMetadata?.KeyId ?? '';
    const plaintext = new TextEncoder().encode('credentials');
    const { CiphertextBlob } = await clients.kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }),
    );
    expect(Buffer.from(CiphertextBlob ?? []).includes(Buffer.from('credentials'))).toBe(false);
    const { Plaintext } = await clients.kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(new TextDecoder().decode(Plaintext)).toBe('credentials');

    const name = `bk-test-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const secret = await clients.secrets.send(
      new CreateSecretCommand({ Name: name, KmsKeyId: keyId, SecretString: '{"user":"u","password":"p"}' }),
    );
    const described = await clients.secrets.send(new DescribeSecretCommand({ SecretId: secret.ARN }));
    expect(described.KmsKeyId).toContain(keyId);
    const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secret.ARN }));
    expect(JSON.parse(value.SecretString ?? '{}')).toEqual({ user: 'u', password: 'p' });
  });

  it('starts on a given port, resets, and stop() kills the process', async () => {
    const port = await freePort();
    const moto = await startMoto({ port, startTimeoutMs: ENGINE_START_WITHIN_MS });
    expect(moto.endpoint).toBe(`http://127.0.0.1:${port}`);
    await moto.reset();
    await moto.stop();
    expect(isAlive(moto.pid)).toBe(false);
    expect(liveMembers(moto.pid)).toEqual([]);
  });
});

/** A Node process that starts `sleep` through spawnManaged and prints its pid. */
async function parentWithManagedSleep(): Promise<{ parent: ReturnType<typeof spawn>; childPid: number }> {
  const code = `import { spawnManaged } from './cli/local/engines/processes.ts';
    const p = spawnManaged('sleep', ['600'], { name: 'sleeper' });
    console.log('managed', p.pid); setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const childPid = await new Promise<number>((resolve, reject) => {
    let text = '';
    parent.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /managed (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
  });
  return { parent, childPid };
}

/** Polls `check` until it holds; the deadline only stops a test that went wrong, however loaded the machine. */
async function eventually(check: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return check();
}

describe('spawnManaged', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)(
    'leaves no child when the parent gets %s',
    async (signal) => {
      const { parent, childPid } = await parentWithManagedSleep();
      expect(isAlive(childPid)).toBe(true);
      parent.kill(signal);
      expect(await eventually(() => liveMembers(childPid).length === 0)).toBe(true);
    },
  );

  it('waitForPort gives up with a clear error when nothing listens', async () => {
    const port = await freePort();
    await expect(waitForPort('127.0.0.1', port, 300)).rejects.toThrow(
      `nothing answered on 127.0.0.1:${port}`,
    );
  });
});
