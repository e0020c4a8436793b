import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../core/contracts/tables.ts';
import { collect } from '../../support/core-env.ts';
import {
  commandJob,
  outputsOf,
  pythonFixture,
  runJob,
  startJob,
  useWorkRoot,
  workFoldersIn,
} from './command-support.ts';
import { startTestLocal, type TestLocal, waitForExecution } from './support.ts';

const INVENTORY = { kind: 'inventory' } as const;
const workRoot = useWorkRoot();
const state = mkdtempSync(join(tmpdir(), 'bk-command-state-'));
let local: TestLocal;

beforeAll(async () => {
  local = await startTestLocal([pythonFixture('py-fixture')]);
});

afterAll(async () => {
  await local?.stop();
  rmSync(state, { recursive: true, force: true });
  rmSync(workRoot, { recursive: true, force: true });
});

const attemptsOf = async (jobId: string, start: number) =>
  (await collect(local.mode.deps.attempts.list(jobId, INVENTORY, start))).map((a) => [
    a.outcome,
    a.error?.name,
  ]);

describe('command processors through the local mode', () => {
  it('runs a Python command processor over a data set: its outputs and exceptions committed, no work folder left', async () => {
    const jobId = await commandJob(local, { processor: 'py-fixture', items: 50, size: 10 });

    const { out, batches } = await runJob(local, jobId);

    expect(out.status).toBe('SUCCEEDED');
    expect(batches.map((b) => [b.start, b.status, b.itemsSucceeded, b.itemsExcepted])).toEqual([
      [1, 'SUCCEEDED', 9, 1],
      [11, 'SUCCEEDED', 9, 1],
      [21, 'SUCCEEDED', 8, 2],
      [31, 'SUCCEEDED', 9, 1],
      [41, 'SUCCEEDED', 8, 2],
    ]);
    const rows = await outputsOf(local, jobId);
    expect(rows).toHaveLength(43);
    expect(rows[0]).toEqual({ id: 1, output: { double: 2 } });
    const open = await local.mode.deps.exceptions.list(jobId, { status: 'OPEN' });
    expect(open.items.map((x) => [x.itemId, x.kind])).toEqual(
      [7, 14, 21, 28, 35, 42, 49].map((n) => [n, 'lucky-seven']),
    );
    expect(workFoldersIn(workRoot)).toEqual([]);
  });

  it('retries a batch whose command exits 2, which then succeeds', async () => {
    const config = { behave: 'retry-once', state };
    const jobId = await commandJob(local, { processor: 'py-fixture', items: 10, size: 10, config });

    const { out, batches, failures } = await runJob(local, jobId);

    expect(out.status).toBe('SUCCEEDED');
    expect(failures).toEqual(['RetryableError']);
    expect(batches.map((b) => [b.status, b.attempt])).toEqual([['SUCCEEDED', 2]]);
    expect(await attemptsOf(jobId, 1)).toEqual([
      ['RETRY', 'RetryableError'],
      ['SUCCEEDED', undefined],
    ]);
    const [retried] = await collect(local.mode.deps.attempts.list(jobId, INVENTORY, 1));
    expect(retried?.error?.message).toContain('upstream throttled, try again');
    expect(workFoldersIn(workRoot)).toEqual([]);
  });

  it('fails the attempt of a command killed by SIGKILL, and a retry-failed run finishes the batch', async () => {
    const config = { behave: 'kill-once', state };
    const jobId = await commandJob(local, { processor: 'py-fixture', items: 10, size: 10, config });

    const first = await runJob(local, jobId);
    const retry = await runJob(local, jobId, 'retry-failed');

    expect(first.out).toMatchObject({ status: 'FAILED', error: 'BatchesFailedError' });
    expect(first.failures).toEqual(['CommandFailedError']);
    const [killed] = await collect(local.mode.deps.attempts.list(jobId, INVENTORY, 1));
    expect(killed).toMatchObject({ outcome: 'FAILED', error: { name: 'CommandFailedError' } });
    expect(killed?.error?.message).toContain('was ended by signal SIGKILL');
    expect(retry.out.status).toBe('SUCCEEDED');
    expect(retry.batches.map((b) => [b.status, b.itemsSucceeded])).toEqual([['SUCCEEDED', 9]]);
    expect(workFoldersIn(workRoot)).toEqual([]);
  });

  it('cannot commit what a command wrote after its lease was taken over', async () => {
    const config = { behave: 'wait', state };
    const jobId = await commandJob(local, { processor: 'py-fixture', items: 10, size: 10, config });
    const execution = await startJob(local, jobId);
    while (!existsSync(join(state, 'ready-1'))) await new Promise((r) => setTimeout(r, 50));
    // Another worker takes the batch over: its token moves on, as a takeover moves it.
    await local.mode.clients.doc.send(
      new UpdateCommand({
        TableName: local.mode.state.tables.inventory,
        Key: keys.batch(jobId, INVENTORY, 1),
        UpdateExpression: 'SET leaseOwner = :thief ADD #token :one',
        ExpressionAttributeNames: { '#token': 'token' },
        ExpressionAttributeValues: { ':thief': 'another-worker', ':one': 1 },
      }),
    );
    writeFileSync(join(state, 'go-1'), '');

    const out = await waitForExecution(local.sfn, execution);

    expect(out.status).toBe('FAILED');
    const batch = await local.mode.deps.batches.getBatch(jobId, INVENTORY, 1);
    expect(batch?.status).not.toBe('SUCCEEDED');
    expect(batch?.itemsSucceeded).toBeUndefined();
    expect((await local.mode.deps.exceptions.list(jobId, { status: 'OPEN' })).items).toEqual([]);
    const events = (await local.mode.deps.events.list(jobId, {})).items.map((e) => e.type);
    expect(events).not.toContain('BatchCommitted');
    expect(workFoldersIn(workRoot)).toEqual([]);
  });
});
