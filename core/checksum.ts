import { createHash } from 'node:crypto';

/**
 * Checksums of stored objects, as the catalog records them at registration and the preflight compares them
 * before a batch reads the object: `sha256:<hex digest>`.
 * @example sha256(new TextEncoder().encode('{"id":1}\n')) // 'sha256:…'
 */
export const sha256 = (body: Uint8Array): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`;

/** Whether a recorded checksum is one this module computes (others are kept, never compared). */
export const isSha256 = (checksum: string | undefined): checksum is string =>
  checksum?.startsWith('sha256:') === true;
