import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { connectOnce } from '../../../cli/local/engines/tcp.ts';
import { readLocalState } from '../../../cli/local/local-state.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { collect } from '../../support/core-env.ts';
import { Gate } from '../../support/gate.ts';
import { heldProcessor } from './fixtures/processors.ts';
import { historyOf, keysUnder, startTestLocal, type TestLocal, waitForExecution } from './support.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HOST = fileURLToPath(new URL('./fixtures/crash-host.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'bk-local-restart-'));
/** Limits that only stop a test that went wrong; a machine under load waits on them for the events. */
const READY_WITHIN_MS = 180_000;
const GONE_WITHIN_MS = 60_000;
let host: ChildProcess | undefined;
let local: TestLocal | undefined;

afterAll(async () => {
  host?.kill('SIGKILL');
  await local?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Start the crash host and resolve with what it printed on its READY line. */
async function startHost(stateFile: string): Promise<{ secretArn: string; done: string; killed: string }> {
  host = spawn(process.execPath, ['--import', 'tsx', HOST, dataDir, stateFile], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`crash host not READY in ${READY_WITHIN_MS} ms:\n${output.slice(-3000)}`)),
      READY_WITHIN_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^READY (.*)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(JSON.parse(match[1] as string));
      }
    };
    host?.stdout?.on('data', onData);
    host?.stderr?.on('data', onData);
    host?.once('exit', (code) => reject(new Error(`crash host exited (${code}):\n${output.slice(-3000)}`)));
  });
}

/** The killed host's engines die with it (their guard sees its pipe close); wait until they no longer answer. */
async function untilGone(endpoints: readonly string[]): Promise<void> {
  for (const endpoint of endpoints) {
    const { hostname, port } = new URL(endpoint);
    await expect
      .poll(
        () =>
          connectOnce(hostname, Number(port), 200).then(
            () => 'listening',
            () => 'gone',
          ),
        { timeout: GONE_WITHIN_MS, interval: 100 },
      )
      .toBe('gone');
  }
}

describe('a restart of the local mode on the same data directory', () => {
  it('keeps tables, objects, executions (RUNNING ones end ABORTED) and secrets, and finishes the killed work', async () => {
    const stateFile = join(dataDir, 'host-local.json');
    const before = await startHost(stateFile);
    const endpoints = Object.values(readLocalState(undefined, { file: stateFile }).endpoints);
    host?.kill('SIGKILL');
    await once(host as ChildProcess, 'exit');
    await untilGone(endpoints);

    // The same processor, its gate open: the killed execution's batches run through here.
    local = await startTestLocal([heldProcessor(Gate.opened()).processor], { dataDir });
    const { mode, sfn } = local;

    const killed = await sfn.send(new DescribeExecutionCommand({ executionArn: before.killed }));
    expect(killed.status).toBe('ABORTED');
    expect((await historyOf(sfn, before.killed)).at(-1)?.type).toBe('ExecutionAborted');
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: before.done }))).status).toBe(
      'SUCCEEDED',
    );
    const kept = await collect(mode.deps.batches.list('kept-job', { kind: 'inventory' }));
    expect(kept.map((b) => b.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(await keysUnder(mode, mode.state.buckets.data, 'kept/')).toHaveLength(4);
    expect(await keysUnder(mode, mode.state.buckets.work, 'outputs/kept-job/')).toHaveLength(4);
    const secret = await mode.clients.secrets.send(new GetSecretValueCommand({ SecretId: before.secretArn }));
    expect(secret.SecretString).toBe('hunter2');

    // The same input again finishes what the killed execution left (a batch whose lease has not expired yet is
    // skipped as BUSY and done by the next run, once that lease has expired), and a new job reads the kept data
    // set and its secret.
    await createJob(mode.deps, {
      jobId: 'after-restart',
      datasetId: 'kept',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 20 },
    });
    expect(await runToEnd(local, 'after-restart')).toEqual(['SUCCEEDED']);
    const statuses = await runToEnd(local, 'slow-job');
    expect(statuses.every((s) => s === 'SUCCEEDED')).toBe(true);
    const slow = await collect(mode.deps.batches.list('slow-job', { kind: 'inventory' }));
    expect(slow.map((b) => b.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });
});

/**
 * Run the job incrementally until none of its batches is left undone (at most 3 runs), each next run once the
 * leases of the batches left open have expired; the runs' statuses.
 */
async function runToEnd({ mode, sfn }: TestLocal, jobId: string): Promise<string[]> {
  const statuses: string[] = [];
  for (let run = 0; run < 3; run += 1) {
    const input = JSON.stringify({ jobId, mode: 'incremental' });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: mode.state.stateMachineArn, input }),
    );
    const out = await waitForExecution(sfn, executionArn as string);
    statuses.push(out.status === 'SUCCEEDED' ? out.status : `${out.status}: ${out.error}: ${out.cause}`);
    const summary = JSON.parse(out.output ?? '{}') as { batchesNotDone?: number };
    if (out.status !== 'SUCCEEDED' || summary.batchesNotDone === 0) break;
    await leasesExpired(mode, jobId);
  }
  return statuses;
}

/** Resolves once every lease of the job's batches has expired (the killed host's expire leaseSeconds after). */
async function leasesExpired(mode: TestLocal['mode'], jobId: string): Promise<void> {
  const batches = await collect(mode.deps.batches.list(jobId, { kind: 'inventory' }));
  const until = Math.max(0, ...batches.map((b) => b.leaseExpiresAt ?? 0));
  while (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 1));
}
