import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, spawnManaged, stopManaged, waitForOutput } from '../processes.ts';

export interface S3LocalOptions {
  /** TCP port on 127.0.0.1. @default a free port chosen by the kernel */
  readonly port?: number;
  /** Keep buckets and objects in this directory (created if missing). @default a temporary one, removed on stop */
  readonly directory?: string;
  /** The access key the clients sign with: s3rver refuses keys it does not know (it checks no signature). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default 20_000 */
  readonly startTimeoutMs?: number;
}

export interface S3Local {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly directory: string;
  readonly startedInMs: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_LINE = /BATCHKEEPER_S3_LISTENING (\d+)/;

/*
 * s3rver runs in a Node process of its own: its listing tokens use a cipher that OpenSSL 3 keeps in the legacy
 * provider, which only a flag on the command line enables (not NODE_OPTIONS of a process already running).
 */
const SERVER_FILE = fileURLToPath(new URL('./s3rver-server.mjs', import.meta.url));

/**
 * Start s3rver on 127.0.0.1 persisting to `directory`: objects survive a restart on the same directory. Local
 * clients need path-style addressing and checksums only where required (requestChecksumCalculation and
 * responseChecksumValidation WHEN_REQUIRED): s3rver stores bodies sent with flexible checksums corrupted.
 * @example const s3 = await startS3Local({ credentials, directory: join(dataDir, 's3') }); ...; await s3.stop();
 */
export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  const started = Date.now();
  const temporary = options.directory === undefined;
  const directory = temporary
    ? mkdtempSync(join(tmpdir(), 'batchkeeper-s3-'))
    : resolve(options.directory as string);
  mkdirSync(directory, { recursive: true });
  const proc = spawnManaged(process.execPath, ['--openssl-legacy-provider', SERVER_FILE], {
    name: 's3rver',
    env: serverEnv(directory, options),
  });
  const stop = async () => {
    await stopManaged(proc);
    if (temporary) rmSync(directory, { recursive: true, force: true });
  };
  try {
    const match = await waitForOutput(proc, READY_LINE, options.startTimeoutMs ?? 20_000);
    const port = Number(match[1]);
    return {
      endpoint: `http://${HOST}:${port}`,
      port,
      pid: proc.pid,
      directory,
      startedInMs: Date.now() - started,
      process: proc,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function serverEnv(directory: string, options: S3LocalOptions): NodeJS.ProcessEnv {
  const { credentials } = options;
  // The parent's NODE_OPTIONS (a test runner's loaders) have no business in the server.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  return {
    ...env,
    BATCHKEEPER_S3_HOST: HOST,
    BATCHKEEPER_S3_KEY_ID: credentials.accessKeyId,
    BATCHKEEPER_S3_SECRET: credentials.secretAccessKey,
    BATCHKEEPER_S3_PORT: String(options.port ?? 0),
    BATCHKEEPER_S3_DIR: directory,
  };
}
