// @ts-check
/*
 * The local S3 server: s3rver in a Node process of its own, started by s3-local.ts, which passes the settings
 * in BATCHKEEPER_S3_* variables and waits for the line BATCHKEEPER_S3_LISTENING <port>. Plain JavaScript with
 * types checked by tsc (s3rver.d.ts), so that the child `node` runs it without a loader.
 */
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

/** @param {string} name */
function setting(name) {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set: s3-local.ts starts this server`);
  return value;
}

/** Sub-resources whose PUT is not a write of the object itself. */
const SUB_RESOURCES = ['uploadId', 'partNumber', 'tagging', 'acl', 'retention', 'legal-hold'];
const PRECONDITION_FAILED =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code>' +
  '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
  '<Condition>If-None-Match</Condition></Error>';

// s3rver knows one access key (S3RVER) out of the box; the key the clients sign with is added to its account.
AWSAccount.DUMMY_ACCOUNT.createKeyPair(setting('BATCHKEEPER_S3_KEY_ID'), setting('BATCHKEEPER_S3_SECRET'));
const server = new S3rver({
  address: setting('BATCHKEEPER_S3_HOST'),
  port: Number(setting('BATCHKEEPER_S3_PORT')),
  directory: setting('BATCHKEEPER_S3_DIR'),
  silent: true,
  allowMismatchedSignatures: true,
  vhostBuckets: false,
});

// Conditional writes as S3 has them (PUT with If-None-Match: *, atomic): every PUT of a key is serialized, and
// a conditional one is refused with 412 PreconditionFailed when the key exists. s3rver itself ignores the header.
/** @type {Map<string, Promise<void>>} */
const locks = new Map();
server.middleware.unshift(async (ctx, next) => {
  // Object PUTs only (the SDK adds ?x-id=PutObject): not parts, copies or sub-resources.
  if (ctx.method !== 'PUT' || ctx.get('x-amz-copy-source') || SUB_RESOURCES.some((q) => q in ctx.query)) {
    return next();
  }
  const [, bucket, ...rest] = decodeURIComponent(ctx.path).split('/');
  const key = rest.join('/');
  if (!bucket || !key) return next();
  const id = `${bucket}/${key}`;
  const before = locks.get(id) ?? Promise.resolve();
  /** @type {() => void} */
  let release = () => undefined;
  /** @type {Promise<void>} */
  const mine = new Promise((resolve) => {
    release = resolve;
  });
  const chained = before.then(() => mine);
  locks.set(id, chained);
  await before;
  try {
    if (ctx.get('if-none-match') === '*' && (await server.store.existsObject(bucket, key))) {
      ctx.status = 412;
      ctx.type = 'application/xml';
      ctx.body = PRECONDITION_FAILED;
      return;
    }
    await next();
  } finally {
    release();
    if (locks.get(id) === chained) locks.delete(id);
  }
});

const address = await server.run();
console.log(`BATCHKEEPER_S3_LISTENING ${address.port}`);
const stop = () => server.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
