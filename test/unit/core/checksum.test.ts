import { describe, expect, it } from 'vitest';
import { isSha256, sha256 } from '../../../core/checksum.ts';

describe('sha256', () => {
  it('is the prefixed hex SHA-256 of the bytes', () => {
    expect(sha256(new Uint8Array())).toBe(
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256(new TextEncoder().encode('abc'))).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('recognises only checksums of its own kind', () => {
    expect(isSha256(sha256(new Uint8Array([1])))).toBe(true);
    expect(isSha256('md5:900150983cd24fb0d6963f7d28e17f72')).toBe(false);
    expect(isSha256(undefined)).toBe(false);
  });
});
