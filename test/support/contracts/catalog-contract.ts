import { describe, expect, it } from 'vitest';
import { DatasetConflictError, DatasetNotFoundError } from '../../../core/errors.ts';
import type { CatalogEntry } from '../../../core/model.ts';
import type { CatalogStore, NewEntry } from '../../../core/ports/index.ts';
import { collect } from '../seed-data.ts';
import { AT, type MakeEnv } from './contract-env.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ds-creds-AbCdEf';

export const object = (location: string, extra: Partial<NewEntry> = {}): NewEntry => ({
  count: 1,
  location,
  format: 'object',
  weights: 1,
  ...extra,
});
export const chunk = (location: string, count: number, weights: NewEntry['weights'] = 1): NewEntry => ({
  count,
  location,
  format: 'jsonl',
  weights,
});

/** A catalog with data set `images` and nothing registered. */
export async function setup(makeEnv: MakeEnv, label: string): Promise<CatalogStore> {
  const { deps } = await makeEnv(label);
  await deps.catalog.createDataset({ datasetId: 'images' }, AT);
  return deps.catalog;
}

/** ids: 1 a | 2-5 b (weights 1..4) | 6 c | 7-16 d | 17-19 e */
async function registered(makeEnv: MakeEnv, label: string): Promise<CatalogStore> {
  const catalog = await setup(makeEnv, label);
  await catalog.register(
    'images',
    [
      object('s3://i/a'),
      chunk('s3://i/b', 4, [1, 2, 3, 4]),
      object('s3://i/c', { weights: 9 }),
      chunk('s3://i/d', 10),
    ],
    AT,
  );
  await catalog.register('images', [chunk('s3://i/e', 3, 0.5)], AT);
  return catalog;
}

/**
 * CatalogStore: data sets created once per spec, listed with their high ids, entries read across their
 * boundaries and marked ready once (registration: catalog-register-contract.ts). Runs on the fakes and on the
 * DynamoDB adapter.
 */
export function describeCatalogContract(name: string, makeEnv: MakeEnv): void {
  describe(`CatalogStore on ${name}`, () => {
    describe('CatalogStore.createDataset', () => {
      it('returns the existing data set when the same spec is created again, refusing another secret or origin', async () => {
        const catalog = await setup(makeEnv, 'catalog-create');
        const created = await catalog.createDataset({ datasetId: 'docs', secretArn: SECRET }, AT);
        await catalog.register('docs', [object('s3://d/1')], AT);

        const again = await catalog.createDataset(
          { datasetId: 'docs', secretArn: SECRET },
          '2030-01-01T00:00:00.000Z',
        );

        expect(created).toEqual({ datasetId: 'docs', secretArn: SECRET, highId: 0, createdAt: AT });
        expect(again).toEqual({ ...created, highId: 1 });
        await expect(catalog.createDataset({ datasetId: 'docs' }, AT)).rejects.toBeInstanceOf(
          DatasetConflictError,
        );
        await expect(
          catalog.createDataset({ datasetId: 'docs', secretArn: SECRET, exceptionsOf: 'job-1' }, AT),
        ).rejects.toMatchObject({ name: 'DatasetConflictError', context: { field: 'exceptionsOf' } });
        expect(await catalog.getDataset('nope')).toBeUndefined();
      });

      it('rejects a bad spec, naming the field, before writing', async () => {
        const catalog = await setup(makeEnv, 'catalog-create-bad');

        await expect(catalog.createDataset({ datasetId: 'no spaces' }, AT)).rejects.toMatchObject({
          field: 'datasetId',
        });
        await expect(
          catalog.createDataset({ datasetId: 'x', secretArn: 'plaintext!' }, AT),
        ).rejects.toMatchObject({
          field: 'secretArn',
        });
        expect(await catalog.getDataset('x')).toBeUndefined();
      });

      it('lists data sets page by page with their current high id, refusing a cursor that is not one', async () => {
        const catalog = await setup(makeEnv, 'catalog-list');
        await catalog.createDataset({ datasetId: 'a-set' }, AT);
        await catalog.createDataset({ datasetId: 'z-set' }, AT);
        await catalog.register('images', [chunk('s3://i/1.jsonl', 7)], AT);

        const first = await catalog.listDatasets({ limit: 2 });
        const second = await catalog.listDatasets({ limit: 2, next: first.next });

        expect(first.items.map((d) => [d.datasetId, d.highId])).toEqual([
          ['a-set', 0],
          ['images', 7],
        ]);
        expect(second.items.map((d) => d.datasetId)).toEqual(['z-set']);
        expect(second.next).toBeUndefined();
        const forged = Buffer.from(JSON.stringify({ pk: 'DS#images', sk: 'META' })).toString('base64url');
        await expect(catalog.listDatasets({ next: forged })).rejects.toMatchObject({ field: 'next' });
        await expect(catalog.listDatasets({ limit: 0 })).rejects.toMatchObject({ field: 'limit' });
      });
    });

    describe('CatalogStore.entries', () => {
      it('reads the entries overlapping a range across entry boundaries', async () => {
        const catalog = await registered(makeEnv, 'entries-range');
        const starts = async (from: number, to: number) =>
          (await collect(catalog.entries('images', from, to))).map((e) => e.start);

        expect(await starts(3, 7)).toEqual([2, 6, 7]);
        expect(await starts(2, 2)).toEqual([2]);
        expect(await starts(16, 17)).toEqual([7, 17]);
        expect(await starts(19, 40)).toEqual([17]);
        expect(await starts(20, 40)).toEqual([]);
        expect(await starts(8, 3)).toEqual([]);
        expect(await collect(catalog.entries('nope', 1, 5))).toEqual([]);
        await expect(collect(catalog.entries('images', -1, 5))).rejects.toMatchObject({ field: 'start' });
      });

      it('reads the same entries without their weights as descriptors', async () => {
        const catalog = await registered(makeEnv, 'entries-descriptors');
        const withoutWeights = ({ weights: _, ...rest }: CatalogEntry) => rest;

        for (const [from, to] of [
          [3, 7],
          [16, 17],
          [1, 19],
        ] as const) {
          const entries = await collect(catalog.entries('images', from, to));
          expect(await collect(catalog.descriptors('images', from, to))).toEqual(entries.map(withoutWeights));
        }
      });

      it('marks entries ready for an upstream producer, each once', async () => {
        const catalog = await registered(makeEnv, 'entries-ready');
        await catalog.register('images', [{ ...chunk('s3://i/late', 5), ready: false }], AT);

        expect(await catalog.markReady('images', 22, 22)).toBe(1);
        expect(await catalog.markReady('images', 1, 30)).toBe(0);
        expect((await collect(catalog.entries('images', 20, 24)))[0]?.ready).toBe(true);
        await expect(catalog.markReady('nope', 1, 2)).rejects.toBeInstanceOf(DatasetNotFoundError);
      });
    });
  });
}
