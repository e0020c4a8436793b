import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clients } from '../../../core/adapters/clients.ts';
import { outputKeyOf } from '../../../core/contracts/s3-keys.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import * as s from './support.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Unique per run, so that finding it anywhere can only be a leak. */
const SECRET = `bk-proof-${randomBytes(16).toString('hex')}`;
const NEEDLES = [SECRET, SECRET.slice('bk-proof-'.length), Buffer.from(SECRET).toString('base64')];
const MISSING_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:proof/missing-AbCdEf';

const dataDir = mkdtempSync(join(tmpdir(), 'bk-proof-secret-'));
let host: s.Host;
let c: s.Connection;
let secretArn: string;

beforeAll(async () => {
  host = await s.startHost({ dataDir, logLevel: 'DEBUG' }, { 'proof/warehouse-token': SECRET });
  c = s.connect(host.state);
  secretArn = host.ready.secretArns['proof/warehouse-token'] as string;
});

afterAll(async () => {
  await s.stopHost(host);
  rmSync(dataDir, { recursive: true, force: true });
});

/** One place the scan read, and what it held. */
interface Scanned {
  readonly where: string;
  readonly text: string;
}

async function run(input: Record<string, unknown>): Promise<string> {
  const out = await s.waitForExecution(c.sfn, await s.startRun(c, input));
  return `${out.status}${out.error ? ` ${out.error}` : ''}`;
}

/** `npx tsx cli/bin.ts <args> --local --data-dir D --json`: what a user would see. */
async function cli(args: readonly string[]): Promise<Scanned & { code: number }> {
  const argv = ['tsx', 'cli/bin.ts', ...args, '--local', '--data-dir', dataDir, '--json'];
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BATCHKEEPER_LOCAL_STATE;
  try {
    const out = await promisify(execFile)('npx', argv, { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    return { where: `cli ${args.join(' ')}`, text: out.stdout + out.stderr, code: 0 };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; code?: number };
    return {
      where: `cli ${args.join(' ')}`,
      text: `${failed.stdout}${failed.stderr}`,
      code: failed.code ?? -1,
    };
  }
}

/** Every item of a table (consistent, paged Scans), unmarshalled. */
async function scanTable(ddb: Clients['ddb'], table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function tables(): Promise<Scanned[]> {
  const out: Scanned[] = [];
  for (const [role, table] of Object.entries(host.state.tables))
    for (const item of await scanTable(c.clients.ddb, table))
      out.push({ where: `dynamodb ${role} ${item.pk}/${item.sk}`, text: JSON.stringify(item) });
  return out;
}

async function objects(): Promise<Scanned[]> {
  const out: Scanned[] = [];
  for (const bucket of Object.values(host.state.buckets))
    for (const key of await s.listKeys(c.clients.s3, bucket))
      out.push({ where: `s3://${bucket}/${key}`, text: await s.readText(c.clients.s3, bucket, key) });
  return out;
}

/** Every execution's input, output, error and cause (DescribeExecution) and its whole history. */
async function executions(): Promise<Scanned[]> {
  const out: Scanned[] = [];
  for (const { executionArn } of await s.listExecutions(c)) {
    const described = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = await s.historyOf(c.sfn, executionArn as string);
    out.push({ where: `execution ${executionArn}`, text: JSON.stringify({ described, history }) });
  }
  return out;
}

describe('secret hygiene: a data set secret never leaves Secrets Manager', () => {
  it('is used by the processor yet absent from tables, objects, logs, executions and CLI output', async () => {
    const { deps } = c;
    const at = new Date().toISOString();
    await deps.catalog.createDataset({ datasetId: 'vault', secretArn }, at);
    await seedDataset(deps, 'vault', 300, { chunk: 100 });
    await deps.catalog.createDataset({ datasetId: 'locked', secretArn: MISSING_ARN }, at);
    await seedDataset(deps, 'locked', 20, { chunk: 20 });
    const config = { failOnce: 150, retryOnce: 40 };
    const batching = { by: 'count', size: 50 } as const;
    await createJob(deps, {
      jobId: 'vault-job',
      datasetId: 'vault',
      processor: { name: 'proof-secret-user' },
      config,
      batching,
    });
    await createJob(deps, {
      jobId: 'locked-job',
      datasetId: 'locked',
      processor: { name: 'proof-secret-user' },
      batching,
    });

    // The happy path, a retry, a hard failure and its retry-failed run, a backfill, a sample, a denied secret.
    expect(await run({ jobId: 'vault-job', mode: 'incremental' })).toBe('FAILED BatchesFailedError');
    expect(await run({ jobId: 'vault-job', mode: 'retry-failed' })).toBe('SUCCEEDED');
    expect(await run({ jobId: 'vault-job', mode: 'backfill', idStart: 1, idEnd: 120 })).toBe('SUCCEEDED');
    expect(await run({ jobId: 'vault-job', mode: 'sample', every: 7, limit: 30 })).toBe('SUCCEEDED');
    expect(await run({ jobId: 'locked-job', mode: 'incremental' })).toBe('FAILED BatchesFailedError');

    // Positive controls: the secret is real, KMS-encrypted, and the processor did sign with it.
    const stored = await c.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(stored.SecretString).toBe(SECRET);
    const described = await c.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
    expect(described.KmsKeyId).toContain(host.state.kmsKeyId);
    const first = JSON.parse(
      (
        await s.readText(
          c.clients.s3,
          deps.buckets.work,
          outputKeyOf('vault-job', { kind: 'inventory' }, { start: 1, end: 50 }),
        )
      ).split('\n')[0] as string,
    );
    expect(first.output.mac).toBe(
      createHmac('sha256', SECRET).update(String(first.output.n)).digest('hex').slice(0, 16),
    );
    expect((await deps.catalog.getDataset('vault'))?.secretArn).toBe(secretArn);
    const batches = await collect(deps.batches.list('vault-job', { kind: 'inventory' }));
    const failedRun = (await deps.runs.listRuns('vault-job')).items.find((r) => r.mode === 'incremental');

    const commands = [
      ['jobs', 'show', 'vault-job'],
      ['jobs', 'show', 'locked-job'],
      ['runs', 'list', 'vault-job'],
      ['runs', 'show', 'vault-job', failedRun?.runId ?? ''],
      ['exceptions', 'list', 'vault-job'],
      ['batches', 'vault-job'],
      ['datasets', 'show', 'vault'],
      ['diagnose', 'vault-job', String(batches.find((b) => b.end >= 150)?.start)],
      ['diagnose', 'locked-job', '1'],
    ];
    const outputs: (Scanned & { code: number })[] = [];
    for (let i = 0; i < commands.length; i += 3)
      outputs.push(...(await Promise.all(commands.slice(i, i + 3).map(cli))));
    expect(outputs.map((o) => `${o.where}: ${o.code}`)).toEqual(commands.map((a) => `cli ${a.join(' ')}: 0`));
    expect(outputs.find((o) => o.where.startsWith('cli diagnose locked-job'))?.text).toMatch(/safe/);

    const logs = { where: 'handler logs (stdout and stderr of the local mode)', text: host.output() };
    expect(logs.text, 'the handlers logged (Powertools JSON lines)').toMatch(
      /"message":"credentials resolved"/,
    );
    const scanned = [...(await tables()), ...(await objects()), logs, ...(await executions()), ...outputs];
    const leaks = scanned
      .filter((x) => NEEDLES.some((needle) => x.text.includes(needle)))
      .map((x) => x.where);
    const count = (prefix: string) => scanned.filter((x) => x.where.startsWith(prefix)).length;
    console.log(
      `secret hygiene: scanned ${count('dynamodb')} DynamoDB items, ${count('s3://')} S3 objects, ` +
        `${logs.text.split('\n').length} log lines, ${count('execution')} executions, ${count('cli')} CLI outputs: ` +
        `${leaks.length} leak(s)`,
    );
    expect(leaks).toEqual([]);
  });
});
