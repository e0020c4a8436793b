import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { RetryableError, ValidationError } from '../errors.ts';
import type { ObjectStore, Page, PageRequest } from '../ports/index.ts';
import { pageLimit } from './paging.ts';

/** ListObjectsV2 and DeleteObjects both stop at 1,000 keys. */
const S3_PAGE_MAX = 1000;

/**
 * Inputs, manifests and outputs on S3. An absent object is an answer (undefined), not an error: preflight asks
 * "is it where the catalog says?" and expects a yes or a no.
 * @example const objects = new S3ObjectStore({ s3: clients.s3 });
 */
export class S3ObjectStore implements ObjectStore {
  readonly #s3: S3Client;

  constructor(props: { readonly s3: S3Client }) {
    this.#s3 = props.s3;
  }

  async put(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void> {
    await this.#s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async putIfAbsent(
    bucket: string,
    key: string,
    body: string | Uint8Array,
    contentType?: string,
  ): Promise<boolean> {
    try {
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'PreconditionFailed' || err.$metadata?.httpStatusCode === 412) return false;
      throw e;
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.#s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  async get(bucket: string, key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.#s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async head(bucket: string, key: string): Promise<{ size: number; etag?: string } | undefined> {
    try {
      const out = await this.#s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return out.ETag === undefined
        ? { size: out.ContentLength ?? 0 }
        : { size: out.ContentLength ?? 0, etag: out.ETag };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  /** A page of keys under `prefix` in key order; the cursor is S3's own continuation token. */
  async list(
    bucket: string,
    prefix: string,
    page: PageRequest = {},
  ): Promise<Page<{ key: string; size: number }>> {
    try {
      const out = await this.#s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: pageLimit(page.limit, S3_PAGE_MAX),
          ContinuationToken: page.next,
        }),
      );
      const items = (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0 }],
      );
      return out.NextContinuationToken ? { items, next: out.NextContinuationToken } : { items };
    } catch (e) {
      // S3 answers a forged or expired continuation token with InvalidArgument: the caller's cursor is bad.
      if (page.next !== undefined && (e as { name?: string }).name === 'InvalidArgument') {
        throw new ValidationError(
          [{ field: 'next', rule: 'must be a cursor returned by the previous page' }],
          {
            cause: e,
            what: 'page request',
          },
        );
      }
      throw e;
    }
  }

  /**
   * Delete up to 1,000 objects under `prefix`; returns how many went. Call until it returns 0: each call lists
   * afresh, so a crash between calls leaves nothing to clean up by hand.
   */
  async deletePrefixPage(bucket: string, prefix: string): Promise<number> {
    const listed = await this.#s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: S3_PAGE_MAX }),
    );
    const objects = (listed.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (objects.length === 0) return 0;
    const out = await this.#s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
    );
    const failed = out.Errors ?? [];
    if (failed.length > 0) {
      const first = failed[0];
      throw new RetryableError(
        `could not delete ${failed.length} of ${objects.length} objects under s3://${bucket}/${prefix}`,
        {
          context: { bucket, prefix, failed: failed.length, firstCode: first?.Code, firstKey: first?.Key },
        },
      );
    }
    return objects.length;
  }
}

/**
 * NoSuchKey from GetObject; HeadObject has no body, so it only says NotFound (or a bare 404). A missing bucket
 * is a deployment fault, not a missing object, wherever S3 says so.
 */
function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (err.name === 'NoSuchBucket') return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}
