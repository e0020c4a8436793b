import { describe, expect, it } from 'vitest';
import { DatasetNotFoundError, ValidationError } from '../../../core/errors.ts';
import type { CatalogEntry } from '../../../core/model.ts';
import type { NewEntry } from '../../../core/ports/index.ts';
import { collect } from '../seed-data.ts';
import { chunk, object, setup } from './catalog-contract.ts';
import { AT, type MakeEnv } from './contract-env.ts';

/**
 * CatalogStore.register: ids handed out by the data set's counter in order with no hole and no overlap, a
 * location registered once, entries validated before anything is written. Runs on the fakes and on the
 * DynamoDB adapter.
 */
export function describeCatalogRegisterContract(name: string, makeEnv: MakeEnv): void {
  describe(`CatalogStore.register on ${name}`, () => {
    it('hands out consecutive ids, call after call', async () => {
      const catalog = await setup(makeEnv, 'register-ids');

      const a = await catalog.register(
        'images',
        [object('s3://i/a'), chunk('s3://i/b', 5), object('s3://i/c')],
        AT,
      );
      const b = await catalog.register('images', [object('s3://i/d'), chunk('s3://i/e', 2)], AT);

      expect(a).toEqual({ firstId: 1, lastId: 7, registered: 3, skippedLocations: [], highId: 7 });
      expect(b).toEqual({ firstId: 8, lastId: 10, registered: 2, skippedLocations: [], highId: 10 });
      expect((await collect(catalog.entries('images', 1, 10))).map((e) => e.start)).toEqual([1, 2, 7, 8, 9]);
      expect((await catalog.getDataset('images'))?.highId).toBe(10);
    });

    it('registers more than one transaction holds (49 entries) with ids still in order', async () => {
      const catalog = await setup(makeEnv, 'register-many');

      const result = await catalog.register(
        'images',
        Array.from({ length: 120 }, (_, i) => object(`s3://i/${i}`)),
        AT,
      );

      expect(result).toEqual({
        firstId: 1,
        lastId: 120,
        registered: 120,
        skippedLocations: [],
        highId: 120,
      });
      expect(await catalog.findLocation('images', 's3://i/119')).toBe(120);
    });

    it('registers a location once, even twice in one call, and says which it skipped', async () => {
      const catalog = await setup(makeEnv, 'register-once');
      await catalog.register('images', [object('s3://i/a'), object('s3://i/b')], AT);

      const again = await catalog.register(
        'images',
        [object('s3://i/b'), object('s3://i/c'), object('s3://i/c')],
        AT,
      );
      const allSkipped = await catalog.register('images', [object('s3://i/a')], AT);

      expect(again).toEqual({
        firstId: 3,
        lastId: 3,
        registered: 1,
        skippedLocations: ['s3://i/c', 's3://i/b'],
        highId: 3,
      });
      expect(allSkipped).toEqual({ registered: 0, skippedLocations: ['s3://i/a'], highId: 3 });
      expect(await catalog.findLocation('images', 's3://i/b')).toBe(2);
      expect(await catalog.findLocation('images', 's3://i/zzz')).toBeUndefined();
    });

    it('leaves no gap and no overlap when 4 registrars register at once', async () => {
      const catalog = await setup(makeEnv, 'register-race');
      const registrar = (r: number) =>
        catalog.register(
          'images',
          [object(`s3://i/${r}-a`), chunk(`s3://i/${r}-b`, 3), object('s3://shared')],
          AT,
        );

      const results = await Promise.all([0, 1, 2, 3].map(registrar));

      expect(results.reduce((n, r) => n + r.registered, 0)).toBe(4 * 2 + 1);
      const entries = await collect(catalog.entries('images', 1, 100));
      let next = 1;
      for (const e of entries) {
        expect(e.start).toBe(next);
        next = e.start + e.count;
      }
      expect(next).toBe(4 * 4 + 2);
      expect((await catalog.getDataset('images'))?.highId).toBe(4 * 4 + 1);
    });

    it('rejects invalid entries naming the field, and an unknown data set, registering nothing', async () => {
      const catalog = await setup(makeEnv, 'register-bad');
      const cases: [NewEntry[], string][] = [
        [[object('s3://i/ok'), { ...object('s3://i/x'), count: 0 }], 'entries.1.count'],
        [[chunk('s3://i/x', 3, [1, 2])], 'entries.0.weights'],
        [[object('s3://i/x', { weights: 0 })], 'entries.0.weights'],
        [[object('s3://i/x', { count: 2 })], 'entries.0.count'],
        [[object('')], 'entries.0.location'],
      ];

      for (const [entries, field] of cases) {
        const error = await catalog.register('images', entries, AT).catch((e: unknown) => e);
        expect(error, field).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe(field);
      }
      await expect(catalog.register('nope', [object('s3://n/1')], AT)).rejects.toBeInstanceOf(
        DatasetNotFoundError,
      );
      expect((await catalog.getDataset('images'))?.highId).toBe(0);
      expect(await catalog.findLocation('images', 's3://i/ok')).toBeUndefined();
    });

    it('keeps what an entry says: equal weights read back as one number, the rest as given', async () => {
      const catalog = await setup(makeEnv, 'register-fields');
      const ref = { datasetId: 'other', id: 9 };

      await catalog.register(
        'images',
        [
          chunk('s3://i/flat', 3, [2, 2, 2]),
          chunk('s3://i/varied', 2, [0.5, 1.25]),
          { ...object('s3://i/o'), checksum: 'sha256:ab', size: 12, ref, ready: false },
        ],
        AT,
      );

      const entries = await collect(catalog.entries('images', 1, 6));
      expect(entries.map((e) => e.weights)).toEqual([2, [0.5, 1.25], 1]);
      expect(entries[2]).toEqual<CatalogEntry>({
        datasetId: 'images',
        start: 6,
        count: 1,
        location: 's3://i/o',
        format: 'object',
        weights: 1,
        checksum: 'sha256:ab',
        size: 12,
        ref,
        ready: false,
        registeredAt: AT,
      });
    });
  });
}
