import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { expect } from 'vitest';
import type { LocalState } from '../../../cli/local/local-state.ts';
import { connectOnce } from '../../../cli/local/processes.ts';
import { type Clients, makeClients } from '../../../core/clients.ts';
import type { Deps } from '../../../core/deps.ts';
import { makeDeps } from '../../../core/make-deps.ts';
import type { FaultHook } from '../../../core/ports.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import type { HostOptions, HostReady } from './fixtures/local-host.ts';
import { proofProcessors } from './fixtures/processors.ts';

export { historyOf, waitForExecution } from '../local-engine/support.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HOST = fileURLToPath(new URL('./fixtures/local-host.ts', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

/** A local mode running in a child process (fixtures/local-host.ts), and everything it printed. */
export interface Host {
  readonly child: ChildProcess;
  readonly ready: HostReady;
  readonly state: LocalState;
  /** Every byte of its stdout and stderr so far. */
  output(): string;
}

/**
 * Start a host and resolve once it printed READY. Secret values go to it in its environment. The state file
 * lands in `<dataDir>/local.json`, where the CLI's `--local --data-dir` looks for it.
 */
export async function startHost(options: HostOptions, secrets: Record<string, string> = {}): Promise<Host> {
  const env: NodeJS.ProcessEnv = { ...process.env, PROOF_SECRETS: JSON.stringify(secrets) };
  delete env.BATCHKEEPER_LOCAL_STATE;
  delete env.POWERTOOLS_LOG_LEVEL;
  const child = spawn(process.execPath, ['--import', 'tsx', HOST, JSON.stringify(options)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = await new Promise<HostReady>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`host not READY:\n${output.slice(-3000)}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^READY (.*)$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(JSON.parse(match[1] as string) as HostReady);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`host exited (${code ?? signal}) before READY:\n${output.slice(-3000)}`));
    });
  });
  return { child, ready, state: ready.state, output: () => output };
}

/** SIGKILL the host (its engines die with it: their guard sees its pipe close) and wait until none answers. */
export async function killHost(host: Host): Promise<void> {
  if (host.child.exitCode === null && host.child.signalCode === null) {
    const exited = once(host.child, 'exit');
    host.child.kill('SIGKILL');
    await exited;
  }
  await untilGone(Object.values(host.state.endpoints));
}

/** Stop the host as `local down` does (SIGTERM), then make sure nothing of it still listens. */
export async function stopHost(host: Host | undefined): Promise<void> {
  if (!host) return;
  if (host.child.exitCode === null && host.child.signalCode === null) {
    const exited = once(host.child, 'exit');
    host.child.kill('SIGTERM');
    const timer = setTimeout(() => host.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  await untilGone(Object.values(host.state.endpoints));
}

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
        { timeout: 20_000, interval: 100 },
      )
      .toBe('gone');
  }
}

/** What a test uses to reach a host's local mode: the SDK clients, and the core's deps over the same stores. */
export interface Connection {
  readonly clients: Clients;
  readonly sfn: SFNClient;
  readonly deps: Deps;
  readonly stateMachineArn: string;
}

/** Clients and deps pointed at a local mode's endpoints, as a user's own script would build them. */
export function connect(state: LocalState, faults?: FaultHook): Connection {
  const clients = makeClients({
    endpoints: state.endpoints,
    credentials: state.credentials,
    region: state.region,
  });
  const deps = makeDeps({
    clients,
    tables: state.tables,
    buckets: state.buckets,
    processors: createRegistry([...builtinProcessors, ...proofProcessors]),
    faults,
  });
  const { endpoints, region, credentials } = state;
  const sfn = new SFNClient({ endpoint: endpoints.sfn, region, credentials });
  return { clients, sfn, deps, stateMachineArn: state.stateMachineArn };
}

/** StartExecution through the SDK; returns the execution ARN. */
export async function startRun(
  c: Connection,
  input: Record<string, unknown>,
  name?: string,
): Promise<string> {
  const out = await c.sfn.send(
    new StartExecutionCommand({ stateMachineArn: c.stateMachineArn, input: JSON.stringify(input), name }),
  );
  return out.executionArn as string;
}

/** Every execution of the state machine, through the paginated API. */
export async function listExecutions(c: Connection): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await c.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: c.stateMachineArn, maxResults: 1000, nextToken }),
    );
    out.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** Keys under a prefix of a bucket, through paginated listings. */
export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** The body of an object as text. */
export async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

/** Every item of a table (consistent, paged Scans), unmarshalled. */
export async function scanTable(ddb: Clients['ddb'], table: string): Promise<Record<string, unknown>[]> {
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

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
