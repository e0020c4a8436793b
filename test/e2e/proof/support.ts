import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { connectOnce } from '../../../cli/local/engines/tcp.ts';
import type { LocalState } from '../../../cli/local/local-state.ts';
import { type Clients, makeClients } from '../../../core/adapters/clients.ts';
import { makeDeps } from '../../../core/adapters/make-deps.ts';
import type { Deps } from '../../../core/deps.ts';
import type { ItemException, Run } from '../../../core/model.ts';
import type { FaultHook, JobEvent } from '../../../core/ports/index.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import type { HostOptions, HostReady } from './fixtures/local-host.ts';
import { proofProcessors } from './fixtures/processors.ts';

export { historyOf, waitForExecution } from '../local-engine/support.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HOST = fileURLToPath(new URL('./fixtures/local-host.ts', import.meta.url));
/** Limits that only stop a test that went wrong; a machine under load waits on them for the events. */
const READY_TIMEOUT_MS = 180_000;
const GONE_WITHIN_MS = 60_000;

/** A host process with its modules loaded, waiting for its options (fixtures/local-host.ts). */
export interface Standby {
  readonly child: ChildProcess;
  /** Every byte of its stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in its output; rejects if it exits first or after the timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** A local mode running in a child process, and everything it printed. */
export interface Host extends Standby {
  readonly ready: HostReady;
  readonly state: LocalState;
}

/** Spawn a host that loads its modules and waits: the next host of a chaos run warms up while this one runs. */
export function spawnHost(): Standby {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The state file must land in <dataDir>/local.json, where `--local --data-dir` looks for it.
  delete env.BATCHKEEPER_LOCAL_STATE;
  delete env.POWERTOOLS_LOG_LEVEL;
  const child = spawn(process.execPath, ['--import', 'tsx', HOST], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs = READY_TIMEOUT_MS) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const done = (error?: Error, match?: RegExpExecArray) => {
        listeners.delete(check);
        child.off('exit', onExit);
        clearTimeout(timer);
        if (match) resolve(match);
        else reject(error);
      };
      const check = () => {
        const match = pattern.exec(output);
        if (match) done(undefined, match);
      };
      const onExit = () => done(new Error(`host exited before ${pattern}:\n${output.slice(-3000)}`));
      const timer = setTimeout(
        () => done(new Error(`no ${pattern} from the host:\n${output.slice(-3000)}`)),
        timeoutMs,
      );
      listeners.add(check);
      child.once('exit', onExit);
      check();
    });
  return { child, output: () => output, waitFor };
}

/** Give a standby host its options (and secret values, on stdin) and resolve once it printed READY. */
export async function activate(
  standby: Standby,
  options: HostOptions,
  secrets: Record<string, string> = {},
): Promise<Host> {
  standby.child.stdin?.write(`${JSON.stringify({ options, secrets })}\n`);
  const match = await standby.waitFor(/^READY (.*)$/m);
  const ready = JSON.parse(match[1] as string) as HostReady;
  return { ...standby, ready, state: ready.state };
}

/** Spawn a host and start its local mode. */
export const startHost = (options: HostOptions, secrets: Record<string, string> = {}): Promise<Host> =>
  activate(spawnHost(), options, secrets);

/** End a host with `signal` and wait until none of its engines answers (their guard sees its pipe close). */
async function endHost(host: Host | Standby | undefined, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  if (!host) return;
  if (host.child.exitCode === null && host.child.signalCode === null) {
    const exited = once(host.child, 'exit');
    host.child.kill(signal);
    const timer = setTimeout(() => host.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if ('state' in host) await untilGone(Object.values(host.state.endpoints));
}

/** A crash of the whole local mode: SIGKILL, no cleanup. */
export const killHost = (host: Host) => endHost(host, 'SIGKILL');

/** Stop a host (or a standby) as `local down` does, with SIGTERM. */
export const stopHost = (host: Host | Standby | undefined) => endHost(host, 'SIGTERM');

/** Poll every endpoint until it refuses connections (the guard's kill is asynchronous). */
async function untilGone(endpoints: readonly string[]): Promise<void> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  for (const endpoint of endpoints) {
    const { hostname, port } = new URL(endpoint);
    for (;;) {
      const listening = await connectOnce(hostname, Number(port), 200).then(
        () => true,
        () => false,
      );
      if (!listening) break;
      if (Date.now() > deadline) throw new Error(`${endpoint} still answers after its host was stopped`);
      await sleep(100);
    }
  }
}

/** What a test uses to reach a host's local mode: the SDK clients, and the core's deps over the same stores. */
export interface Connection {
  readonly clients: Clients;
  readonly sfn: SFNClient;
  readonly deps: Deps;
  readonly stateMachineArn: string;
  readonly tables: LocalState['tables'];
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
  return { clients, sfn, deps, stateMachineArn: state.stateMachineArn, tables: state.tables };
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

/** The objects under a prefix of the work bucket, each with the ids of its JSON lines (`{ id, ... }`). */
export async function outputObjects(
  c: Connection,
  prefix: string,
): Promise<{ key: string; ids: number[] }[]> {
  const out: { key: string; ids: number[] }[] = [];
  for (const key of await listKeys(c.clients.s3, c.deps.buckets.work, prefix)) {
    const lines = (await readText(c.clients.s3, c.deps.buckets.work, key))
      .split('\n')
      .filter((l) => l !== '');
    out.push({ key, ids: lines.map((l) => (JSON.parse(l) as { id: number }).id) });
  }
  return out;
}

/** The ranges (`start-end`) of a job's batches that a backfill split, from the inventory's split history. */
export async function splitOrigins(c: Connection, jobId: string): Promise<Set<string>> {
  const query = new QueryCommand({
    TableName: c.tables.inventory,
    KeyConditionExpression: 'pk = :p AND begins_with(sk, :h)',
    ExpressionAttributeValues: { ':p': `J#${jobId}`, ':h': 'H#' },
  });
  const out = await c.clients.doc.send(query);
  return new Set((out.Items ?? []).filter((h) => h.kind === 'split').map((h) => String(h.from)));
}

/** Every exception of a job, whatever its status, through the paginated store. */
export async function allExceptions(deps: Deps, jobId: string): Promise<ItemException[]> {
  const out: ItemException[] = [];
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list(jobId, {}, { limit: 500, next });
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

/** Every event in the job's log, in time order. */
export async function allEvents(deps: Deps, jobId: string): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  let next: string | undefined;
  do {
    const page = await deps.events.list(jobId, {}, { limit: 1000, next });
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

/** Every run record of the job. */
export async function allRuns(deps: Deps, jobId: string): Promise<Run[]> {
  const out: Run[] = [];
  let next: string | undefined;
  do {
    const page = await deps.runs.listRuns(jobId, { limit: 1000, next });
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
