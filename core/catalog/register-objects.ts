import { sha256 } from '../checksum.ts';
import { datasetIdOfKey, locationOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { DatasetNotFoundError } from '../errors.ts';
import type { NewEntry } from '../ports/index.ts';
import { Name, parse } from '../validation.ts';

/** An object that landed in S3. */
export interface LandedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
}

export interface RegisterReport {
  readonly registered: number;
  readonly items: number;
  readonly skipped: { key: string; reason: string }[];
}

/** Objects under `datasets/<datasetId>/` belong to that data set; others are not ours to register. */
export function datasetOfKey(key: string): string | undefined {
  const datasetId = datasetIdOfKey(key);
  return datasetId !== undefined && Name.safeParse(datasetId).success ? datasetId : undefined;
}

/**
 * Register landed objects in the catalog: a `.jsonl` object is a chunk of records (one id per line, weight =
 * the line's bytes), anything else one item (weight = its size). A location registers once, so an event
 * delivered twice is harmless.
 */
export async function registerObjects(
  deps: Deps,
  objects: readonly LandedObject[],
  datasetId?: string,
): Promise<RegisterReport> {
  const skipped: RegisterReport['skipped'] = [];
  const byDataset = new Map<string, NewEntry[]>();
  for (const o of objects) {
    const ds = datasetId ?? datasetOfKey(o.key);
    if (!ds) {
      skipped.push({ key: o.key, reason: 'not under datasets/<datasetId>/' });
      continue;
    }
    const entry = await entryFor(deps, o);
    if (!entry) {
      skipped.push({ key: o.key, reason: 'empty or missing object' });
      continue;
    }
    byDataset.set(ds, [...(byDataset.get(ds) ?? []), entry]);
  }
  let registered = 0;
  let items = 0;
  const at = new Date(deps.clock.now()).toISOString();
  for (const [ds, entries] of byDataset) {
    if (!(await deps.catalog.getDataset(ds))) throw new DatasetNotFoundError({ datasetId: ds });
    const out = await deps.catalog.register(ds, entries, at);
    registered += out.registered;
    items += entries
      .filter((e) => !out.skippedLocations.includes(e.location))
      .reduce((n, e) => n + e.count, 0);
    for (const location of out.skippedLocations)
      skipped.push({ key: location, reason: 'already registered' });
  }
  return { registered, items, skipped };
}

async function entryFor(deps: Deps, o: LandedObject): Promise<NewEntry | undefined> {
  const location = locationOf(o.bucket, o.key);
  if (!o.key.endsWith('.jsonl')) {
    const size = o.size ?? (await deps.objects.head(o.bucket, o.key))?.size;
    if (!size) return undefined;
    return { count: 1, location, format: 'object', weights: size, size };
  }
  const body = await deps.objects.get(o.bucket, o.key);
  if (!body || body.byteLength === 0) return undefined;
  const lines = Buffer.from(body).toString('utf8').replace(/\n$/, '').split('\n');
  const weights = lines.map((l) => Math.max(1, Buffer.byteLength(l)));
  return {
    count: lines.length,
    location,
    format: 'jsonl',
    weights,
    size: body.byteLength,
    checksum: sha256(body),
  };
}

/** A one-off registration of everything already under an S3 prefix, page by page. */
export async function registerPrefix(
  deps: Deps,
  bucket: string,
  prefix: string,
  datasetId: unknown,
): Promise<RegisterReport> {
  const ds = parse(Name, datasetId, 'datasetId');
  const total: RegisterReport = { registered: 0, items: 0, skipped: [] };
  let next: string | undefined;
  do {
    const page = await deps.objects.list(bucket, prefix, { limit: 1000, next });
    const out = await registerObjects(
      deps,
      page.items.map((i) => ({ bucket, key: i.key, size: i.size })),
      ds,
    );
    Object.assign(total, {
      registered: total.registered + out.registered,
      items: total.items + out.items,
      skipped: [...total.skipped, ...out.skipped],
    });
    next = page.next;
  } while (next);
  return total;
}
