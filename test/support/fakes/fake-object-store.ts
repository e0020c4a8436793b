import { createHash } from 'node:crypto';
import { pageLimit } from '../../../core/adapters/paging.ts';
import { ValidationError } from '../../../core/errors.ts';
import type { ObjectStore, Page, PageRequest } from '../../../core/ports/index.ts';

/** ListObjectsV2 and DeleteObjects both stop at 1,000 keys. */
const S3_PAGE_MAX = 1000;

interface StoredObject {
  readonly body: Uint8Array;
  readonly contentType?: string;
}

/** What S3 answers for a bucket that does not exist: a deployment fault, never a missing object. */
export class NoSuchBucket extends Error {
  constructor(bucket: string) {
    super(`The specified bucket does not exist: ${bucket}`);
    this.name = 'NoSuchBucket';
  }
}

const bytesOf = (body: string | Uint8Array): Uint8Array =>
  typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);

/**
 * ObjectStore in memory, with S3ObjectStore's rules: an absent object is an answer (undefined), an absent bucket
 * an error; keys list in order, a page at a time with an opaque cursor; putIfAbsent is atomic.
 * @example const objects = new FakeObjectStore(['work', 'data']); await objects.put('data', 'ds/a.jsonl', '{}');
 */
export class FakeObjectStore implements ObjectStore {
  readonly #buckets = new Map<string, Map<string, StoredObject>>();

  constructor(buckets: readonly string[] = []) {
    for (const bucket of buckets) this.createBucket(bucket);
  }

  createBucket(bucket: string): void {
    if (!this.#buckets.has(bucket)) this.#buckets.set(bucket, new Map());
  }

  async put(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
    this.#bucket(bucket).set(key, { body: bytesOf(body), contentType });
  }

  async putIfAbsent(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    contentType?: string,
  ): Promise<boolean> {
    const objects = this.#bucket(bucket);
    if (objects.has(key)) return false;
    objects.set(key, { body: bytesOf(body), contentType });
    return true;
  }

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    const found = this.#bucket(bucket).get(key);
    return found && new Uint8Array(found.body);
  }

  /** HEAD has no body to say NoSuchBucket in: a missing bucket reads as a missing object, as on S3. */
  async head(bucket: string, key: string): Promise<{ size: number; etag?: string } | undefined> {
    const found = this.#buckets.get(bucket)?.get(key);
    if (!found) return undefined;
    return { size: found.body.byteLength, etag: `"${createHash('md5').update(found.body).digest('hex')}"` };
  }

  /** The cursor is the last key of the page, opaque to callers; a page says `next` only when more keys follow. */
  async list(
    bucket: string,
    prefix: string,
    page: PageRequest = {},
  ): Promise<Page<{ key: string; size: number }>> {
    const limit = pageLimit(page.limit, S3_PAGE_MAX);
    const after = page.next === undefined ? undefined : keyOfToken(page.next);
    const keys = this.#keys(bucket, prefix).filter((k) => after === undefined || k > after);
    const objects = this.#bucket(bucket);
    const items = keys
      .slice(0, limit)
      .map((key) => ({ key, size: (objects.get(key) as StoredObject).body.byteLength }));
    const last = items.at(-1);
    return keys.length > limit && last ? { items, next: tokenOf(last.key) } : { items };
  }

  async deletePrefixPage(bucket: string, prefix: string): Promise<number> {
    const doomed = this.#keys(bucket, prefix).slice(0, S3_PAGE_MAX);
    for (const key of doomed) this.#bucket(bucket).delete(key);
    return doomed.length;
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.#bucket(bucket).delete(key);
  }

  #keys(bucket: string, prefix: string): string[] {
    return [...this.#bucket(bucket).keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  #bucket(bucket: string): Map<string, StoredObject> {
    const objects = this.#buckets.get(bucket);
    if (!objects) throw new NoSuchBucket(bucket);
    return objects;
  }
}

const TOKEN_PREFIX = 'fake:';

const tokenOf = (key: string) => Buffer.from(`${TOKEN_PREFIX}${key}`, 'utf8').toString('base64url');

/** A continuation token back to its key; anything else is the caller's bad cursor, as S3's InvalidArgument is. */
function keyOfToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith(TOKEN_PREFIX)) {
    throw new ValidationError([{ field: 'next', rule: 'must be a cursor returned by the previous page' }], {
      what: 'page request',
    });
  }
  return text.slice(TOKEN_PREFIX.length);
}
