import { describe, expect, it } from 'vitest';
import { CatalogSource } from '../../../core/catalog/catalog-source.ts';
import type { Deps } from '../../../core/deps.ts';
import { MANIFEST_ENTRIES_MAX, type ManifestItem } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { itemsOfManifest, withEntries } from '../../../core/planning/manifest-entries.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import type { CatalogStore, NewEntry } from '../../../core/ports/index.ts';
import { coreEnv, seedDataset } from '../../support/core-env.ts';
import { manifestOf } from '../../support/inventory-checks.ts';

/**
 * The planner attaches each batch's catalog entries to its manifest item when they are few, all ready and
 * none a requeued item's; otherwise the item goes without and ProcessBatch reads the catalog.
 */

const job = (datasetId: string, size: number) => ({
  jobId: 'j',
  datasetId,
  processor: { name: 'noop' },
  batching: { by: 'count' as const, size },
});

async function register(deps: Deps, datasetId: string, entries: NewEntry[]): Promise<void> {
  const at = new Date(deps.clock.now()).toISOString();
  if (!(await deps.catalog.getDataset(datasetId))) await deps.catalog.createDataset({ datasetId }, at);
  await deps.catalog.register(datasetId, entries, at);
}

/** The catalog, counting the entries the planner takes from it. */
function counting(catalog: CatalogStore, seen: { entries: number }): CatalogStore {
  return new Proxy(catalog, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver);
      if (prop !== 'descriptors') return typeof value === 'function' ? value.bind(t) : value;
      return async function* (...args: Parameters<CatalogStore['descriptors']>) {
        for await (const entry of t.descriptors(...args)) {
          seen.entries++;
          yield entry;
        }
      };
    },
  });
}

describe('manifest entries', () => {
  it('attaches every entry a batch spans, in id order, with size and checksum', async () => {
    const { deps } = await coreEnv('manifest-entries-span');
    const chunk = (n: number, name: string): NewEntry => ({
      count: n,
      location: `s3://${deps.buckets.data}/${name}`,
      format: 'jsonl',
      weights: 1,
      size: n * 10,
      checksum: `sha256:${name}`,
    });
    await register(deps, 'ds', [chunk(150, 'a'), chunk(150, 'b'), chunk(50, 'c')]);
    await createJob(deps, job('ds', 100));
    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const manifest = await manifestOf(deps, plan.manifestKey);
    const locations = manifest.map((m) => (m.entries ?? []).map((e) => e.location.split('/').at(-1)));
    expect(locations).toEqual([['a'], ['a', 'b'], ['b'], ['c']]);
    expect(manifest[1]?.entries?.[1]).toEqual({
      start: 151,
      count: 150,
      location: `s3://${deps.buckets.data}/b`,
      format: 'jsonl',
      size: 1500,
      checksum: 'sha256:b',
    });
  });

  it('leaves out batches that touch an entry not yet ready, and those of requeued items', async () => {
    const { deps } = await coreEnv('manifest-entries-not-ready');
    const entry = (name: string, extra: Partial<NewEntry> = {}): NewEntry => ({
      count: 100,
      location: `s3://${deps.buckets.data}/${name}`,
      format: 'jsonl',
      weights: 1,
      ...extra,
    });
    await register(deps, 'ds', [entry('a'), entry('b', { ready: false }), entry('c')]);
    await createJob(deps, job('ds', 50));
    const plan = await planRun(deps, { jobId: 'j', mode: 'sample', every: 1 }, 'run-s');
    const manifest = await manifestOf(deps, plan.manifestKey);
    expect(manifest.map((m) => [m.start, m.entries?.length ?? 0])).toEqual([
      [1, 1],
      [51, 1],
      [101, 0],
      [151, 0],
      [201, 1],
      [251, 1],
    ]);

    await register(deps, 'orig', [entry('o')]);
    await register(deps, 'requeued', [entry('r', { count: 1, ref: { datasetId: 'orig', id: 7 } })]);
    const items = [{ start: 1, end: 1, stride: 1, scope: 'inventory' as const }];
    expect(await withEntries(deps, 'requeued', items)).toEqual(items);
  });

  it('gives up on a data set of one object per item after reading a handful of entries', async () => {
    const { deps } = await coreEnv('manifest-entries-dense');
    const objects: NewEntry[] = Array.from({ length: 300 }, (_, i) => ({
      count: 1,
      location: `s3://${deps.buckets.data}/o/${i}.json`,
      format: 'object',
      weights: 1,
    }));
    await register(deps, 'ds', objects);
    await createJob(deps, job('ds', 10));
    const seen = { entries: 0 };
    const planner = { ...deps, catalog: counting(deps.catalog, seen) };
    const plan = await planRun(planner, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const manifest = await manifestOf(deps, plan.manifestKey);
    expect(manifest).toHaveLength(30);
    expect(manifest.filter((m) => m.entries)).toEqual([]);
    expect(seen.entries).toBe(MANIFEST_ENTRIES_MAX + 1);
  });

  it('is what the catalog lists for the batch, on a stride too', async () => {
    const { deps } = await coreEnv('manifest-entries-items');
    await seedDataset(deps, 'ds', 250, { chunk: 100 });
    for (const item of [
      { start: 1, end: 250, stride: 1, scope: 'inventory' as const },
      { start: 7, end: 247, stride: 30, scope: 'sample' as const },
      { start: 95, end: 105, stride: 1, scope: 'inventory' as const },
    ]) {
      const [withIt] = (await withEntries(deps, 'ds', [item])) as [ManifestItem];
      const listed = [];
      for await (const i of deps.catalog.entries('ds', item.start, item.end)) listed.push(i);
      const fromCatalog = [];
      for await (const i of new CatalogSource(deps.catalog, 'ds').items(item.start, item.end, item.stride)) {
        const { datasetId: _d, weight: _w, ...location } = i;
        fromCatalog.push(location);
      }
      expect(itemsOfManifest(withIt)).toEqual(fromCatalog);
      expect(withIt.entries).toHaveLength(listed.length);
    }
  });
});
