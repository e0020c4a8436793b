import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
 * s3rver in a Node process of its own: its listing tokens use a cipher that OpenSSL 3 keeps in the legacy
 * provider, which only a flag on the command line enables (not NODE_OPTIONS of a process already running).
 * It knows one access key (S3RVER) out of the box: the local mode's key is added to its account, and signatures
 * are not checked (s3rver does not compute SigV4).
 */
const SERVER_SOURCE = `
const { default: S3rver } = await import(process.env.BATCHKEEPER_S3RVER_URL);
const { default: AWSAccount } = await import(process.env.BATCHKEEPER_S3RVER_ACCOUNT_URL);
AWSAccount.DUMMY_ACCOUNT.createKeyPair(process.env.BATCHKEEPER_S3_KEY_ID, process.env.BATCHKEEPER_S3_SECRET);
const server = new S3rver({
  address: '${HOST}',
  port: Number(process.env.BATCHKEEPER_S3_PORT),
  directory: process.env.BATCHKEEPER_S3_DIR,
  silent: true,
  allowMismatchedSignatures: true,
  vhostBuckets: false,
});
// Conditional writes as S3 has them (PUT with If-None-Match: *, atomic): every PUT of a key is serialized, and
// a conditional one is refused with 412 PreconditionFailed when the key exists. s3rver itself ignores the header.
const locks = new Map();
server.middleware.unshift(async (ctx, next) => {
  // Object PUTs only (the SDK adds ?x-id=PutObject): not parts, copies or sub-resources.
  const sub = ['uploadId', 'partNumber', 'tagging', 'acl', 'retention', 'legal-hold'];
  if (ctx.method !== 'PUT' || ctx.get('x-amz-copy-source') || sub.some((q) => q in ctx.query)) return next();
  const [, bucket, ...rest] = decodeURIComponent(ctx.path).split('/');
  const key = rest.join('/');
  if (!bucket || !key) return next();
  const id = bucket + '/' + key;
  const before = locks.get(id) ?? Promise.resolve();
  let release;
  const mine = new Promise((r) => { release = r; });
  const chained = before.then(() => mine);
  locks.set(id, chained);
  await before;
  try {
    if (ctx.get('if-none-match') === '*' && (await server.store.existsObject(bucket, key))) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
        '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
        '<Condition>If-None-Match</Condition></Error>';
      return;
    }
    await next();
  } finally {
    release();
    if (locks.get(id) === chained) locks.delete(id);
  }
});
const address = await server.run();
console.log('BATCHKEEPER_S3_LISTENING ' + address.port);
const stop = () => server.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
`;

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
  const proc = spawnManaged(
    process.execPath,
    ['--openssl-legacy-provider', '--input-type=module', '-e', SERVER_SOURCE],
    { name: 's3rver', env: serverEnv(directory, options) },
  );
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
    BATCHKEEPER_S3RVER_URL: moduleUrl('s3rver'),
    BATCHKEEPER_S3RVER_ACCOUNT_URL: moduleUrl('s3rver/lib/models/account.js'),
    BATCHKEEPER_S3_KEY_ID: credentials.accessKeyId,
    BATCHKEEPER_S3_SECRET: credentials.secretAccessKey,
    BATCHKEEPER_S3_PORT: String(options.port ?? 0),
    BATCHKEEPER_S3_DIR: directory,
  };
}

const moduleUrl = (specifier: string) =>
  pathToFileURL(createRequire(import.meta.url).resolve(specifier)).href;
