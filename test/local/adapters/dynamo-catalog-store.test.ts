import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_ITEM_WEIGHTS } from '../../../core/adapters/catalog-entries.ts';
import { DynamoCatalogStore } from '../../../core/adapters/dynamo-catalog-store.ts';
import { CatalogSource } from '../../../core/catalog/catalog-source.ts';
import { DatasetConflictError, DatasetNotFoundError, ValidationError } from '../../../core/errors.ts';
import type { CatalogEntry, Item } from '../../../core/model.ts';
import type { NewEntry } from '../../../core/ports/index.ts';
import { countItems, countRequests, type LocalEnv, localEnv } from '../../support/local.ts';

const AT = '2026-01-02T03:04:05.000Z';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ds-creds-AbCdEf';

const object = (location: string, extra: Partial<NewEntry> = {}): NewEntry => ({
  count: 1,
  location,
  format: 'object',
  weights: 1,
  ...extra,
});
const chunk = (location: string, count: number, weights: NewEntry['weights'] = 1): NewEntry => ({
  count,
  location,
  format: 'jsonl',
  weights,
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

let env: LocalEnv;
let catalog: DynamoCatalogStore;

beforeEach(async () => {
  env = await localEnv('catalog');
  catalog = new DynamoCatalogStore({ doc: env.clients.doc, table: env.tables.catalog });
  await catalog.createDataset({ datasetId: 'images' }, AT);
});

describe('DynamoCatalogStore.createDataset', () => {
  it('returns the existing data set when the same spec is created again', async () => {
    await catalog.createDataset({ datasetId: 'docs', secretArn: SECRET }, AT);
    await catalog.register('docs', [object('s3://d/1')], AT);

    const again = await catalog.createDataset(
      { datasetId: 'docs', secretArn: SECRET },
      '2030-01-01T00:00:00.000Z',
    );

    expect(again).toEqual({ datasetId: 'docs', secretArn: SECRET, highId: 1, createdAt: AT });
  });

  it('refuses another secret or origin under the same id', async () => {
    await catalog.createDataset({ datasetId: 'docs', secretArn: SECRET }, AT);

    await expect(catalog.createDataset({ datasetId: 'docs' }, AT)).rejects.toThrow(DatasetConflictError);
    await expect(
      catalog.createDataset({ datasetId: 'docs', secretArn: SECRET, exceptionsOf: 'job-1' }, AT),
    ).rejects.toMatchObject({ name: 'DatasetConflictError', context: { field: 'exceptionsOf' } });
  });

  it('rejects a bad spec before writing', async () => {
    const before = await countItems(env);

    await expect(catalog.createDataset({ datasetId: 'no spaces' }, AT)).rejects.toMatchObject({
      field: 'datasetId',
    });
    await expect(
      catalog.createDataset({ datasetId: 'x', secretArn: 'plaintext!' }, AT),
    ).rejects.toMatchObject({
      field: 'secretArn',
    });
    expect(await countItems(env)).toEqual(before);
  });
});

describe('DynamoCatalogStore.listDatasets', () => {
  it('lists data sets page by page with their current highId', async () => {
    await catalog.createDataset({ datasetId: 'a-set' }, AT);
    await catalog.createDataset({ datasetId: 'z-set' }, AT);
    await catalog.register('images', [chunk('s3://i/1.jsonl', 7)], AT);

    const first = await catalog.listDatasets({ limit: 2 });
    const second = await catalog.listDatasets({ limit: 2, next: first.next });

    expect(first.items.map((d) => d.datasetId)).toEqual(['a-set', 'images']);
    expect(first.items[1]?.highId).toBe(7);
    expect(second.items.map((d) => d.datasetId)).toEqual(['z-set']);
    expect(second.next).toBeUndefined();
  });

  it('rejects a cursor that is not one with a ValidationError on next', async () => {
    const forged = Buffer.from(JSON.stringify({ pk: 'DS#images', sk: 'META' })).toString('base64url');

    await expect(catalog.listDatasets({ next: 'not a cursor!' })).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'next',
    });
    await expect(catalog.listDatasets({ next: forged })).rejects.toMatchObject({ field: 'next' });
    await expect(catalog.listDatasets({ limit: 0 })).rejects.toMatchObject({ field: 'limit' });
  });
});

describe('DynamoCatalogStore.register', () => {
  it('hands out consecutive ids with one counter write per call', async () => {
    const requests = countRequests(env);

    const a = await catalog.register(
      'images',
      [object('s3://i/a'), chunk('s3://i/b', 5), object('s3://i/c')],
      AT,
    );
    const b = await catalog.register('images', [object('s3://i/d'), chunk('s3://i/e', 2)], AT);
    requests.stop();

    expect(a).toEqual({ firstId: 1, lastId: 7, registered: 3, skippedLocations: [], highId: 7 });
    expect(b).toEqual({ firstId: 8, lastId: 10, registered: 2, skippedLocations: [], highId: 10 });
    expect(requests.counts).toEqual({ GetItemCommand: 2, TransactWriteItemsCommand: 2 });
    const starts = (await collect(catalog.entries('images', 1, 10))).map((e) => e.start);
    expect(starts).toEqual([1, 2, 7, 8, 9]);
  });

  it('splits more than 49 entries into transactions of at most 49, each one counter write', async () => {
    const requests = countRequests(env);

    const result = await catalog.register(
      'images',
      Array.from({ length: 120 }, (_, i) => object(`s3://i/${i}`)),
      AT,
    );
    requests.stop();

    expect(result).toMatchObject({ firstId: 1, lastId: 120, registered: 120, highId: 120 });
    expect(requests.counts.TransactWriteItemsCommand).toBe(3);
    const entries = await collect(catalog.entries('images', 1, 120));
    expect(entries.map((e) => e.start)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('registers a location delivered twice only once', async () => {
    await catalog.register('images', [object('s3://i/a'), object('s3://i/b')], AT);

    const again = await catalog.register(
      'images',
      [object('s3://i/b'), object('s3://i/c'), object('s3://i/c')],
      AT,
    );

    expect(again).toEqual({
      firstId: 3,
      lastId: 3,
      registered: 1,
      skippedLocations: ['s3://i/c', 's3://i/b'],
      highId: 3,
    });
    expect(await catalog.findLocation('images', 's3://i/b')).toBe(2);
    expect(await catalog.findLocation('images', 's3://i/zzz')).toBeUndefined();
    const allSkipped = await catalog.register('images', [object('s3://i/a')], AT);
    expect(allSkipped).toEqual({ registered: 0, skippedLocations: ['s3://i/a'], highId: 3 });
  });

  it('gives 8 concurrent registrars no gap and no overlap', async () => {
    const registrar = async (r: number) => {
      const results = [];
      for (let call = 0; call < 4; call++) {
        const entries = [
          object(`s3://i/${r}-${call}-a`),
          chunk(`s3://i/${r}-${call}-b`, 3),
          object(`s3://shared/${call}`),
        ];
        results.push(await catalog.register('images', entries, AT));
      }
      return results;
    };

    const requests = countRequests(env);
    const results = (await Promise.all(Array.from({ length: 8 }, (_, r) => registrar(r)))).flat();
    requests.stop();

    // 8 x 4 calls of 1 + 3 ids, plus each shared location once.
    const total = 8 * 4 * 4 + 4;
    expect(results.reduce((n, r) => n + r.registered, 0)).toBe(8 * 4 * 2 + 4);
    expect((await catalog.getDataset('images'))?.highId).toBe(total);
    const entries = await collect(catalog.entries('images', 1, total));
    let next = 1;
    for (const e of entries) {
      expect(e.start).toBe(next);
      next = e.start + e.count;
    }
    expect(next).toBe(total + 1);
    expect(new Set(entries.map((e) => e.location)).size).toBe(entries.length);
    console.log(`8 registrars x 4 calls: ${JSON.stringify(requests.counts)} (32 calls)`);
  });

  it('registers 1,000,000 records as 100 chunks of 10,000 in a handful of writes', async () => {
    const weights = Array.from({ length: 10_000 }, (_, i) => 0.5 + (i % 97) / 3);
    const entries = Array.from({ length: 100 }, (_, i) =>
      chunk(`s3://i/part-${i}.jsonl`, 10_000, i === 0 ? weights : 2),
    );
    const requests = countRequests(env);
    const started = performance.now();

    const result = await catalog.register('images', entries, AT);
    const ms = performance.now() - started;
    requests.stop();

    expect(result).toMatchObject({ firstId: 1, lastId: 1_000_000, registered: 100, highId: 1_000_000 });
    expect(requests.counts).toEqual({ GetItemCommand: 3, TransactWriteItemsCommand: 3 });
    const [first] = await collect(catalog.entries('images', 1, 1));
    expect(first?.weights).toEqual(weights);
    console.log(
      `register 1,000,000 records / 100 chunks: ${ms.toFixed(0)} ms, requests ${JSON.stringify(requests.counts)}`,
    );
  });

  it('rejects invalid entries naming the field, before any write', async () => {
    const before = await countItems(env);
    const cases: [NewEntry[], string][] = [
      [[object('s3://i/ok'), { ...object('s3://i/x'), count: 0 }], 'entries.1.count'],
      [
        [object('s3://i/ok'), object('s3://i/ok2'), object('s3://i/ok3'), chunk('s3://i/x', 3, [1, 2, -1])],
        'entries.3.weights',
      ],
      [[chunk('s3://i/x', 3, [1, 2])], 'entries.0.weights'],
      [[object('s3://i/x', { weights: Number.NaN })], 'entries.0.weights'],
      [[object('s3://i/x', { weights: 0 })], 'entries.0.weights'],
      [[object('s3://i/x', { count: 2 })], 'entries.0.count'],
      [[object('')], 'entries.0.location'],
      [[{ ...object('s3://i/x'), format: 'csv' as 'object' }], 'entries.0.format'],
    ];

    for (const [entries, field] of cases) {
      const error = await catalog.register('images', entries, AT).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    expect(await countItems(env)).toEqual(before);
  });

  it(`keeps up to ${MAX_ITEM_WEIGHTS} distinct weights in one entry, and asks for a uniform weight beyond`, async () => {
    const distinct = (n: number) => Array.from({ length: n }, (_, i) => 1 + i / 3);

    await catalog.register(
      'images',
      [chunk('s3://i/max.jsonl', MAX_ITEM_WEIGHTS, distinct(MAX_ITEM_WEIGHTS))],
      AT,
    );
    const [entry] = await collect(catalog.entries('images', MAX_ITEM_WEIGHTS, MAX_ITEM_WEIGHTS));

    expect(entry?.weights).toEqual(distinct(MAX_ITEM_WEIGHTS));
    const over = MAX_ITEM_WEIGHTS + 1;
    await expect(
      catalog.register('images', [chunk('s3://i/over.jsonl', over, distinct(over))], AT),
    ).rejects.toMatchObject({
      field: 'entries.0.weights',
    });
    const uniform = await catalog.register(
      'images',
      [chunk('s3://i/flat.jsonl', over, Array(over).fill(2))],
      AT,
    );
    expect(uniform.registered).toBe(1);
  });

  it('refuses an unknown data set', async () => {
    await expect(catalog.register('nope', [object('s3://n/1')], AT)).rejects.toThrow(DatasetNotFoundError);
  });
});

describe('DynamoCatalogStore.entries and CatalogSource.items', () => {
  // ids: 1 a | 2-5 b (weights 1..4) | 6 c | 7-16 d | 17-19 e
  beforeEach(async () => {
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
  });

  it('reads the entries overlapping a range across entry boundaries', async () => {
    const starts = async (from: number, to: number) =>
      (await collect(catalog.entries('images', from, to))).map((e) => e.start);

    expect(await starts(3, 7)).toEqual([2, 6, 7]);
    expect(await starts(2, 2)).toEqual([2]);
    expect(await starts(16, 17)).toEqual([7, 17]);
    expect(await starts(19, 40)).toEqual([17]);
    expect(await starts(20, 40)).toEqual([]);
    expect(await starts(1, 19)).toEqual([1, 2, 6, 7, 17]);
  });

  it('reads the same entries without their weights as descriptors, the weights not even sent', async () => {
    const sent = new Set<string>();
    const name = 'attributes-sent';
    env.clients.doc.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        for (const item of (out.output as { Items?: object[] }).Items ?? [])
          for (const key of Object.keys(item)) sent.add(key);
        return out;
      },
      { step: 'initialize', priority: 'high', name },
    );
    const withoutWeights = ({ weights: _, ...rest }: CatalogEntry) => rest;

    for (const [from, to] of [
      [3, 7],
      [16, 17],
      [1, 19],
    ] as const) {
      const descriptors = await collect(catalog.descriptors('images', from, to));
      expect(descriptors).toEqual((await collect(catalog.entries('images', from, to))).map(withoutWeights));
    }
    sent.clear();
    const all = await collect(catalog.descriptors('images', 1, 19));
    env.clients.doc.middlewareStack.remove(name);

    expect(all.map((e) => e.start)).toEqual([1, 2, 6, 7, 17]);
    expect(all[1]).toEqual({
      datasetId: 'images',
      start: 2,
      count: 4,
      location: 's3://i/b',
      format: 'jsonl',
      ready: true,
      registeredAt: AT,
    });
    expect([...sent].sort()).toEqual(['count', 'format', 'location', 'ready', 'registeredAt', 'start']);
  });

  it('answers the high id of the record it was given once, then reads the data set again', async () => {
    // As Plan builds it: the data set record it just read answers the first question.
    const source = new CatalogSource(catalog, 'images', 12);
    expect(await source.highId()).toBe(12);
    expect(await source.highId()).toBe(19);
  });

  it('yields one item per id, chunk lines and weights included', async () => {
    const source = new CatalogSource(catalog, 'images');

    const items = await collect(source.items(4, 8));

    expect(await source.highId()).toBe(19);
    expect(items.map((i) => [i.id, i.location, i.line, i.weight])).toEqual([
      [4, 's3://i/b', 2, 3],
      [5, 's3://i/b', 3, 4],
      [6, 's3://i/c', undefined, 9],
      [7, 's3://i/d', 0, 1],
      [8, 's3://i/d', 1, 1],
    ]);
    expect(items[2]).toEqual<Item>({
      datasetId: 'images',
      id: 6,
      location: 's3://i/c',
      weight: 9,
      ready: true,
      format: 'object',
    });
  });

  it('steps by a stride across entries', async () => {
    const ids = (await collect(new CatalogSource(catalog, 'images').items(2, 19, 4))).map((i) => i.id);

    expect(ids).toEqual([2, 6, 10, 14, 18]);
  });

  it('streams: stopping early reads only the first page of entries', async () => {
    await catalog.register(
      'images',
      Array.from({ length: 300 }, (_, i) => object(`s3://i/many-${i}`)),
      AT,
    );
    const requests = countRequests(env);

    const first: Item[] = [];
    for await (const item of new CatalogSource(catalog, 'images').items(20, 319)) {
      first.push(item);
      if (first.length === 5) break;
    }
    requests.stop();

    expect(first.map((i) => i.id)).toEqual([20, 21, 22, 23, 24]);
    expect(requests.counts).toEqual({ QueryCommand: 2 });
  });

  it('marks entries ready for an upstream producer', async () => {
    await catalog.register(
      'images',
      [chunk('s3://i/late', 5, 1)].map((e) => ({ ...e, ready: false })),
      AT,
    );
    const late = async () => (await collect(catalog.entries('images', 20, 24))) as CatalogEntry[];
    expect((await late())[0]?.ready).toBe(false);

    expect(await catalog.markReady('images', 22, 22)).toBe(1);
    expect(await catalog.markReady('images', 1, 30)).toBe(0);
    expect((await late())[0]?.ready).toBe(true);
    await expect(catalog.markReady('nope', 1, 2)).rejects.toThrow(DatasetNotFoundError);
  });
});
