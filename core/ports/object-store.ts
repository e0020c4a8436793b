import type { Page, PageRequest } from './common.ts';

/** S3: inputs, manifests and outputs. */
export interface ObjectStore {
  put(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<void>;
  get(bucket: string, key: string): Promise<Uint8Array | undefined>;
  head(bucket: string, key: string): Promise<{ size: number; etag?: string } | undefined>;
  list(bucket: string, prefix: string, page?: PageRequest): Promise<Page<{ key: string; size: number }>>;
  /** Delete up to 1,000 keys under a prefix; returns how many. */
  deletePrefixPage(bucket: string, prefix: string): Promise<number>;
  /** Delete one object; a missing one is not an error. */
  delete(bucket: string, key: string): Promise<void>;
  /** Create an object unless the key exists (atomic, S3's If-None-Match: *); false when it existed. */
  putIfAbsent(bucket: string, key: string, body: string | Uint8Array, contentType?: string): Promise<boolean>;
}
