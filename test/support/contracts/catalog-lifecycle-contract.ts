import { describe, expect, it } from 'vitest';
import { DatasetDeletingError, DatasetNotFoundError, ValidationError } from '../../../core/errors.ts';
import { collect } from '../seed-data.ts';
import { chunk, object, setup } from './catalog-contract.ts';
import { AT, LATER, type MakeEnv } from './contract-env.ts';

/**
 * CatalogStore's lifecycle: a data set marked DELETING takes no entry, is deleted page by page with its record
 * last, and an entry accepts a corrected object's size, checksum and weights. Runs on the fakes and on the
 * DynamoDB adapter.
 */
export function describeCatalogLifecycleContract(name: string, makeEnv: MakeEnv): void {
  describe(`CatalogStore lifecycle on ${name}`, () => {
    describe('CatalogStore.markDatasetDeleting', () => {
      it('refuses every registration from then on, and an unknown data set', async () => {
        const catalog = await setup(makeEnv, 'lifecycle-mark');
        await catalog.register('images', [object('s3://i/a')], AT);

        await catalog.markDatasetDeleting('images', LATER);

        expect(await catalog.getDataset('images')).toMatchObject({ state: 'DELETING', highId: 1 });
        await expect(catalog.register('images', [object('s3://i/b')], AT)).rejects.toBeInstanceOf(
          DatasetDeletingError,
        );
        expect(await catalog.findLocation('images', 's3://i/b')).toBeUndefined();
        await expect(catalog.markDatasetDeleting('nope', AT)).rejects.toBeInstanceOf(DatasetNotFoundError);
        expect(await catalog.getDataset('nope')).toBeUndefined();
      });
    });

    describe('CatalogStore.deleteDatasetPage', () => {
      it('deletes entries and location markers page by page, keeping the record until deleteDatasetRecord', async () => {
        const catalog = await setup(makeEnv, 'lifecycle-pages');
        await catalog.createDataset({ datasetId: 'other' }, AT);
        await catalog.register('other', [object('s3://o/kept')], AT);
        await catalog.register(
          'images',
          Array.from({ length: 7 }, (_, i) => chunk(`s3://i/${i}.jsonl`, 2)),
          AT,
        );
        await catalog.markDatasetDeleting('images', LATER);

        const pages: number[] = [];
        let n = await catalog.deleteDatasetPage('images', 5);
        while (n > 0) {
          pages.push(n);
          n = await catalog.deleteDatasetPage('images', 5);
        }

        expect(pages).toEqual([5, 5, 4]);
        expect(await collect(catalog.entries('images', 1, 100))).toEqual([]);
        expect(await catalog.findLocation('images', 's3://i/0.jsonl')).toBeUndefined();
        expect(await catalog.getDataset('images')).toMatchObject({ state: 'DELETING' });
        await catalog.deleteDatasetRecord('images');
        await catalog.deleteDatasetRecord('images');
        expect(await catalog.getDataset('images')).toBeUndefined();
        expect((await catalog.listDatasets()).items.map((d) => d.datasetId)).toEqual(['other']);
        expect(await catalog.findLocation('other', 's3://o/kept')).toBe(1);
      });
    });

    describe('CatalogStore.acceptEntry', () => {
      it("records the accepted object's size, checksum and weights with acceptedAt, and the data set's lastAcceptedAt", async () => {
        const catalog = await setup(makeEnv, 'lifecycle-accept');
        await catalog.register(
          'images',
          [
            { ...chunk('s3://i/a.jsonl', 3, [1, 2, 3]), size: 9, checksum: 'sha256:old' },
            object('s3://i/b', { size: 4, weights: 4 }),
          ],
          AT,
        );

        const a = await catalog.acceptEntry(
          'images',
          1,
          { size: 12, checksum: 'sha256:new', weights: [4, 4, 4] },
          LATER,
        );
        const b = await catalog.acceptEntry('images', 4, { size: 5, weights: 5 }, LATER);

        expect(a).toMatchObject({
          start: 1,
          size: 12,
          checksum: 'sha256:new',
          weights: 4,
          acceptedAt: LATER,
        });
        expect(b).toMatchObject({ start: 4, size: 5, weights: 5, acceptedAt: LATER });
        expect(b.checksum).toBeUndefined();
        const described = await collect(catalog.descriptors('images', 1, 4));
        expect(described.map((d) => [d.start, d.acceptedAt, d.registeredAt])).toEqual([
          [1, LATER, AT],
          [4, LATER, AT],
        ]);
        await catalog.acceptEntry('images', 1, { size: 6, checksum: 'sha256:v3', weights: [1, 2, 3] }, LATER);
        expect((await collect(catalog.entries('images', 1, 1)))[0]?.weights).toEqual([1, 2, 3]);
        expect(await catalog.getDataset('images')).toMatchObject({ lastAcceptedAt: LATER });
      });

      it('refuses an entry that does not start there, an unknown data set and one being deleted', async () => {
        const catalog = await setup(makeEnv, 'lifecycle-accept-bad');
        await catalog.register('images', [chunk('s3://i/a.jsonl', 3)], AT);
        const content = { size: 1, weights: 1 };

        const notAnEntry = await catalog.acceptEntry('images', 2, content, LATER).catch((e: unknown) => e);
        expect(notAnEntry).toBeInstanceOf(ValidationError);
        expect((notAnEntry as ValidationError).field).toBe('start');
        await expect(catalog.acceptEntry('nope', 1, content, LATER)).rejects.toBeInstanceOf(
          DatasetNotFoundError,
        );
        await catalog.markDatasetDeleting('images', LATER);
        await expect(catalog.acceptEntry('images', 1, content, LATER)).rejects.toBeInstanceOf(
          DatasetDeletingError,
        );
        expect((await collect(catalog.entries('images', 1, 1)))[0]?.acceptedAt).toBeUndefined();
      });
    });
  });
}
