import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalSecret } from '../../../cli/local/local-up.ts';
import { collect } from '../../support/core-env.ts';
import {
  commandJob,
  outputsOf,
  pythonFixture,
  runJob,
  useWorkRoot,
  workFoldersIn,
} from './command-support.ts';
import { historyOf, keysUnder, startTestLocal, type TestLocal } from './support.ts';

/** Unique per run, so that finding it anywhere can only be a leak. */
const SECRET = `bk-cmd-${randomBytes(16).toString('hex')}`;
const NEEDLES = [SECRET, SECRET.slice('bk-cmd-'.length), Buffer.from(SECRET).toString('base64')];
const workRoot = useWorkRoot();
const state = mkdtempSync(join(tmpdir(), 'bk-command-state-'));
let local: TestLocal;
let logs = '';
const restore: (() => void)[] = [];

/** Everything the local mode's handlers print, kept for the scan (and still printed). */
function captureOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      logs += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return write(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = write;
    });
  }
}

beforeAll(async () => {
  captureOutput();
  local = await startTestLocal([pythonFixture('py-secret', 'file')], { logLevel: 'DEBUG' });
});

afterAll(async () => {
  for (const undo of restore) undo();
  await local?.stop();
  rmSync(state, { recursive: true, force: true });
  rmSync(workRoot, { recursive: true, force: true });
});

interface Scanned {
  readonly where: string;
  readonly text: string;
}

async function tables(): Promise<Scanned[]> {
  const out: Scanned[] = [];
  for (const [role, table] of Object.entries(local.mode.state.tables)) {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await local.mode.clients.ddb.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: startKey, ConsistentRead: true }),
      );
      for (const item of page.Items ?? [])
        out.push({ where: `dynamodb ${role}`, text: JSON.stringify(item) });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return out;
}

async function objects(): Promise<Scanned[]> {
  const { deps } = local.mode;
  const out: Scanned[] = [];
  for (const bucket of Object.values(deps.buckets))
    for (const key of await keysUnder(local.mode, bucket, '')) {
      const body = await deps.objects.get(bucket, key);
      out.push({
        where: `s3://${bucket}/${key}`,
        text: Buffer.from(body ?? new Uint8Array()).toString('utf8'),
      });
    }
  return out;
}

async function executions(): Promise<Scanned[]> {
  const { stateMachineArn } = local.mode.state;
  const listed = await local.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
  const out: Scanned[] = [];
  for (const { executionArn } of listed.executions ?? []) {
    const described = await local.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const history = await historyOf(local.sfn, executionArn as string);
    out.push({ where: `execution ${executionArn}`, text: JSON.stringify({ described, history }) });
  }
  return out;
}

describe('the secret of a command processor', () => {
  it('reaches the command in its file and appears in no table, object, log, execution or error', async () => {
    const secretArn = await createLocalSecret(local.mode, 'command/token', SECRET);
    const config = { behave: 'fail-once', state };
    const jobId = await commandJob(local, { processor: 'py-secret', items: 20, size: 10, config, secretArn });

    const failed = await runJob(local, jobId);
    const retried = await runJob(local, jobId, 'retry-failed');

    expect(failed.out.status).toBe('FAILED');
    expect(retried.out.status).toBe('SUCCEEDED');
    // Positive controls: the command signed with the secret, and printed it where the runner redacted it.
    const rows = await outputsOf(local, jobId);
    expect(rows[0]).toEqual({
      id: 1,
      output: { double: 2, mac: createHmac('sha256', SECRET).update('1').digest('hex').slice(0, 16) },
    });
    const attempts = await collect(local.mode.deps.attempts.list(jobId, { kind: 'inventory' }));
    const failure = attempts.find((a) => a.outcome === 'FAILED');
    expect(failure?.error?.message).toContain('could not log in with [redacted]');
    expect(logs).toMatch(/"message":"command ended"/);

    const scanned = [...(await tables()), ...(await objects()), ...(await executions())];
    scanned.push({ where: 'handler logs', text: logs });
    const leaks = scanned.filter((x) => NEEDLES.some((n) => x.text.includes(n))).map((x) => x.where);
    expect(scanned.length).toBeGreaterThan(20);
    expect(leaks).toEqual([]);
    expect(workFoldersIn(workRoot)).toEqual([]);
  });
});
