import { describe, expect, it } from 'vitest';
import type { MakeEnv } from './contract-env.ts';

const text = (body: Uint8Array | undefined) =>
  body === undefined ? undefined : new TextDecoder().decode(body);

/**
 * ObjectStore: an absent object is an answer, an absent bucket a fault; listings page in key order; putIfAbsent
 * never overwrites. Runs on the fakes and on the S3 adapter (moto).
 */
export function describeObjectContract(name: string, makeEnv: MakeEnv): void {
  describe(`ObjectStore on ${name}`, () => {
    it('puts, gets and heads an object, text or bytes', async () => {
      const { deps } = await makeEnv('objects-put');
      const { objects, buckets } = deps;

      await objects.put(buckets.work, 'out/a.json', '{"ok":true}', 'application/json');
      await objects.put(buckets.work, 'out/b.bin', new Uint8Array([0, 1, 2, 255]));

      expect(text(await objects.get(buckets.work, 'out/a.json'))).toBe('{"ok":true}');
      expect(await objects.get(buckets.work, 'out/b.bin')).toEqual(new Uint8Array([0, 1, 2, 255]));
      expect(await objects.head(buckets.work, 'out/b.bin')).toEqual({ size: 4, etag: expect.any(String) });
    });

    it('answers an absent object with undefined, and deletes one without complaint', async () => {
      const { deps } = await makeEnv('objects-absent');

      expect(await deps.objects.get(deps.buckets.work, 'nope')).toBeUndefined();
      expect(await deps.objects.head(deps.buckets.work, 'nope')).toBeUndefined();
      await deps.objects.delete(deps.buckets.work, 'nope');
    });

    it('fails loudly on a bucket that does not exist, where S3 can say so (a HEAD cannot)', async () => {
      const { deps } = await makeEnv('objects-no-bucket');
      const gone = `${deps.buckets.work}-gone`;

      await expect(deps.objects.get(gone, 'k')).rejects.toMatchObject({ name: 'NoSuchBucket' });
      await expect(deps.objects.list(gone, '')).rejects.toMatchObject({ name: 'NoSuchBucket' });
      await expect(deps.objects.delete(gone, 'k')).rejects.toMatchObject({ name: 'NoSuchBucket' });
      expect(await deps.objects.head(gone, 'k')).toBeUndefined();
    });

    it('lists a prefix page by page in key order, and refuses a page larger than S3 gives', async () => {
      const { deps } = await makeEnv('objects-list');
      const { objects, buckets } = deps;
      for (const key of ['p/3', 'p/1', 'p/2', 'p/5', 'p/4', 'q/1']) await objects.put(buckets.work, key, key);

      const pages: string[][] = [];
      let next: string | undefined;
      do {
        const page = await objects.list(buckets.work, 'p/', { limit: 2, next });
        expect(page.items.every((o) => o.size === 3)).toBe(true);
        pages.push(page.items.map((o) => o.key));
        next = page.next;
      } while (next);

      expect(pages).toEqual([['p/1', 'p/2'], ['p/3', 'p/4'], ['p/5']]);
      expect((await objects.list(buckets.work, 'p/', { limit: 5 })).next).toBeUndefined();
      await expect(objects.list(buckets.work, 'p/', { limit: 5000 })).rejects.toMatchObject({
        field: 'limit',
      });
    });

    it('deletes a prefix a page at a time, and nothing else', async () => {
      const { deps } = await makeEnv('objects-delete-prefix');
      const { objects, buckets } = deps;
      for (let i = 0; i < 12; i++) await objects.put(buckets.work, `job/x/${i}`, 'x');
      await objects.put(buckets.work, 'job/y', 'kept');

      const deleted = [
        await objects.deletePrefixPage(buckets.work, 'job/x/'),
        await objects.deletePrefixPage(buckets.work, 'job/x/'),
      ];

      expect(deleted).toEqual([12, 0]);
      expect(text(await objects.get(buckets.work, 'job/y'))).toBe('kept');
    });

    it('creates an object unless the key exists, never overwriting', async () => {
      const { deps } = await makeEnv('objects-if-absent');
      const { objects, buckets } = deps;

      const first = await objects.putIfAbsent(buckets.work, 'parts/1', 'first');
      const second = await objects.putIfAbsent(buckets.work, 'parts/1', 'second');

      expect([first, second]).toEqual([true, false]);
      expect(text(await objects.get(buckets.work, 'parts/1'))).toBe('first');
    });
  });
}
