import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ENDPOINT_ENV } from '../../core/adapters/clients.ts';
import { ENV } from '../../core/contracts/tables.ts';
import { parse } from '../../core/validation.ts';
import { LocalServiceError } from './engines/errors.ts';
import { isAlive } from './engines/processes.ts';

/**
 * The state file of a running local mode: where its engines listen and what its resources are called. The CLI
 * reads it to target the local mode (`--local`); `envFor` turns it into the environment that points the AWS SDK
 * v3 and the AWS CLI at it.
 */

/** Overrides where the state file is, for every reader and writer. */
export const LOCAL_STATE_ENV = 'BATCHKEEPER_LOCAL_STATE';
export const LOCAL_STATE_FILE = 'local.json';

const Endpoint = z
  .string()
  .regex(/^http:\/\/127\.0\.0\.1:\d+$/, { error: 'must be http://127.0.0.1:<port>' });

export const LocalState = z.object({
  pid: z.number().int().positive(),
  region: z.string().min(1),
  credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }),
  endpoints: z.object({
    dynamodb: Endpoint,
    s3: Endpoint,
    sfn: Endpoint,
    secretsmanager: Endpoint,
    kms: Endpoint,
  }),
  tables: z.object({ catalog: z.string(), inventory: z.string(), exceptions: z.string() }),
  buckets: z.object({ work: z.string(), data: z.string() }),
  stateMachineArn: z.string(),
  kmsKeyId: z.string(),
  /** Absent when nothing is kept across restarts. */
  dataDir: z.string().optional(),
  startedAt: z.string(),
});
export type LocalState = z.infer<typeof LocalState>;

/** Where a local mode without a data directory keeps its state file. */
export const defaultLocalDir = (): string => join(tmpdir(), 'batchkeeper-local');

/** `$BATCHKEEPER_LOCAL_STATE`, else `<dataDir>/local.json`, else `<tmp>/batchkeeper-local/local.json`. */
export function localStatePath(dataDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[LOCAL_STATE_ENV];
  if (override) return resolve(override);
  return join(dataDir === undefined ? defaultLocalDir() : resolve(dataDir), LOCAL_STATE_FILE);
}

/** Written whole or not at all (temporary file and rename), so a reader never sees half a state. */
export function writeLocalState(file: string, state: LocalState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * The state of the local mode started with `dataDir` (or at `options.file`). Throws LocalServiceError when there
 * is none, or when the process that wrote it is gone (unless `requireRunning` is false), and ValidationError
 * naming the field when the file is not a state file.
 * @example const state = readLocalState(); const env = { ...process.env, ...envFor(state) };
 */
export function readLocalState(
  dataDir?: string,
  options: { file?: string; requireRunning?: boolean } = {},
): LocalState {
  const file = options.file ?? localStatePath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new LocalServiceError(
      `no local mode state at ${file}: start the local mode first (batchkeeper local up)`,
      { service: 'local mode', file },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = text;
  }
  const state = parse(LocalState, raw, `local mode state ${file}`);
  if (options.requireRunning !== false && !isAlive(state.pid)) {
    throw new LocalServiceError(
      `the local mode that wrote ${file} (pid ${state.pid}) is not running: start it again`,
      { service: 'local mode', file, pid: state.pid },
    );
  }
  return state;
}

/** Remove the state file if it is still the one `pid` wrote (a newer local mode may have replaced it). */
export function removeLocalState(file: string, pid: number): void {
  try {
    const current = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (current.pid === pid) rmSync(file, { force: true });
  } catch {
    // already gone or unreadable: nothing of ours to remove
  }
}

/**
 * Environment variables that point the AWS SDK v3, the AWS CLI v2 and the batchkeeper handlers at a local mode.
 * Endpoints are IP addresses, which makes both SDKs address S3 path-style.
 * @example spawn('aws', ['stepfunctions', 'list-executions', ...], { env: { ...process.env, ...envFor(state) } });
 */
export function envFor(state: LocalState): Record<string, string> {
  return {
    [ENDPOINT_ENV.dynamodb]: state.endpoints.dynamodb,
    [ENDPOINT_ENV.s3]: state.endpoints.s3,
    [ENDPOINT_ENV.sfn]: state.endpoints.sfn,
    [ENDPOINT_ENV.secretsmanager]: state.endpoints.secretsmanager,
    [ENDPOINT_ENV.kms]: state.endpoints.kms,
    AWS_REGION: state.region,
    AWS_DEFAULT_REGION: state.region,
    AWS_ACCESS_KEY_ID: state.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: state.credentials.secretAccessKey,
    // The local S3 (s3rver) stores bodies sent with flexible checksums corrupted: only what S3 requires.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    [ENV.catalogTable]: state.tables.catalog,
    [ENV.inventoryTable]: state.tables.inventory,
    [ENV.exceptionsTable]: state.tables.exceptions,
    [ENV.workBucket]: state.buckets.work,
    [ENV.dataBucket]: state.buckets.data,
    [ENV.stateMachineArn]: state.stateMachineArn,
  };
}

/**
 * Claim a data directory for this process: two local modes on one directory would run two DynamoDB Locals on
 * one database file. A claim left by a dead process is taken over. Returns the function that releases it.
 */
export function claimDataDir(dataDir: string, pid = process.pid): () => void {
  const file = join(dataDir, 'local.pid');
  const holder = Number.parseInt(readText(file) ?? '', 10);
  if (Number.isInteger(holder) && holder !== pid && isAlive(holder)) throw busy(dataDir, holder);
  rmSync(file, { force: true });
  try {
    writeFileSync(file, String(pid), { flag: 'wx' });
  } catch (error) {
    // Another local mode claimed it between our look and our write.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw busy(dataDir, Number.parseInt(readText(file) ?? '0', 10));
    throw error;
  }
  return () => {
    if (readText(file) === String(pid)) rmSync(file, { force: true });
  };
}

const busy = (dataDir: string, pid: number) =>
  new LocalServiceError(`a local mode (pid ${pid}) already runs on ${dataDir}: stop it first`, {
    service: 'local mode',
    dataDir,
    pid,
  });

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
