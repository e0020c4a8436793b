import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type S3Local, startS3Local } from '../../../cli/local/engines/s3-local/s3-local.ts';
import { LOCAL_CREDENTIALS, makeClients } from '../../../core/adapters/clients.ts';
import { S3ObjectStore } from '../../../core/adapters/s3-object-store.ts';
import { ENGINE_START_WITHIN_MS } from '../../support/global-setup.ts';
import { type LocalEnv, localEnv } from '../../support/local.ts';

let env: LocalEnv;
let objects: S3ObjectStore;

beforeEach(async () => {
  env = await localEnv('objects');
  objects = new S3ObjectStore({ s3: env.clients.s3 });
});

describe('S3ObjectStore', () => {
  it('puts, gets and heads an object', async () => {
    await objects.put(env.bucket, 'out/a.json', '{"ok":true}', 'application/json');
    await objects.put(env.bucket, 'out/b.bin', new Uint8Array([0, 1, 2, 255]));

    expect(new TextDecoder().decode(await objects.get(env.bucket, 'out/a.json'))).toBe('{"ok":true}');
    expect(await objects.get(env.bucket, 'out/b.bin')).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(await objects.head(env.bucket, 'out/b.bin')).toMatchObject({ size: 4, etag: expect.any(String) });
  });

  it('answers an absent object with undefined, not an error', async () => {
    expect(await objects.get(env.bucket, 'nope')).toBeUndefined();
    expect(await objects.head(env.bucket, 'nope')).toBeUndefined();
  });

  it('still fails loudly on a missing bucket', async () => {
    await expect(objects.get(`${env.bucket}-gone`, 'k')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('lists a prefix page by page', async () => {
    for (const key of ['p/1', 'p/2', 'p/3', 'p/4', 'p/5', 'q/1']) await objects.put(env.bucket, key, key);

    const keys: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await objects.list(env.bucket, 'p/', { limit: 2, next });
      keys.push(...page.items.map((o) => o.key));
      expect(page.items.every((o) => o.size === 3)).toBe(true);
      next = page.next;
      pages++;
    } while (next);

    expect(keys).toEqual(['p/1', 'p/2', 'p/3', 'p/4', 'p/5']);
    expect(pages).toBe(3);
    await expect(objects.list(env.bucket, 'p/', { limit: 5000 })).rejects.toMatchObject({ field: 'limit' });
  });

  // The 1,000-key page is S3's own cap (ListObjectsV2 MaxKeys, DeleteObjects); filling it costs ~10 s on moto.
  it('deletes a prefix a page at a time', async () => {
    for (let i = 0; i < 30; i++) await objects.put(env.bucket, `job/x/${i}`, 'x');
    await objects.put(env.bucket, 'job/y', 'kept');

    const deleted = [
      await objects.deletePrefixPage(env.bucket, 'job/x/'),
      await objects.deletePrefixPage(env.bucket, 'job/x/'),
    ];

    expect(deleted).toEqual([30, 0]);
    expect((await objects.list(env.bucket, 'job/')).items.map((o) => o.key)).toEqual(['job/y']);
  });
});

/** Create-if-absent, as the output move of a split needs it: atomic on moto and on the local mode's s3rver. */
async function expectCreateIfAbsent(store: S3ObjectStore, bucket: string): Promise<void> {
  expect(await store.putIfAbsent(bucket, 'o/k.jsonl', 'first\n')).toBe(true);
  expect(await store.putIfAbsent(bucket, 'o/k.jsonl', 'second\n')).toBe(false);
  expect(new TextDecoder().decode(await store.get(bucket, 'o/k.jsonl'))).toBe('first\n');
  await store.delete(bucket, 'o/k.jsonl');
  await store.delete(bucket, 'o/k.jsonl');
  expect(await store.get(bucket, 'o/k.jsonl')).toBeUndefined();
  const racers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => store.putIfAbsent(bucket, 'o/race.jsonl', `racer ${i}\n`)),
  );
  expect(racers.filter(Boolean)).toHaveLength(1);
  const winner = racers.indexOf(true);
  expect(new TextDecoder().decode(await store.get(bucket, 'o/race.jsonl'))).toBe(`racer ${winner}\n`);
  // An unconditional put still overwrites.
  await store.put(bucket, 'o/race.jsonl', 'plain\n');
  expect(new TextDecoder().decode(await store.get(bucket, 'o/race.jsonl'))).toBe('plain\n');
}

describe('S3ObjectStore.putIfAbsent', () => {
  let s3rver: S3Local | undefined;
  beforeAll(async () => {
    s3rver = await startS3Local({ credentials: LOCAL_CREDENTIALS, startTimeoutMs: ENGINE_START_WITHIN_MS });
  });
  afterAll(async () => {
    await s3rver?.stop();
  });

  it('creates once and refuses an existing key, also under a race (moto)', async () => {
    await expectCreateIfAbsent(objects, env.bucket);
  });

  it("creates once and refuses an existing key, also under a race (the local mode's s3rver)", async () => {
    const clients = makeClients({
      endpoints: { s3: (s3rver as S3Local).endpoint },
      credentials: LOCAL_CREDENTIALS,
    });
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'conditional' }));
    await expectCreateIfAbsent(new S3ObjectStore({ s3: clients.s3 }), 'conditional');
  });
});
