import { sha256 } from '../checksum.ts';
import { datasetIdOfKey, locationOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import type { Violation } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import type { NewEntry } from '../ports/index.ts';
import { Name, parse } from '../validation.ts';
import { type ChangedLocation, changeAt, type DuplicateLocation, duplicatesOf } from './content-changes.ts';
import { readableDataset } from './delete-dataset.ts';
import { inspectJsonLines } from './json-lines.ts';

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
  /** Registered locations whose object no longer holds what the entry records: not registered again. */
  readonly changed: ChangedLocation[];
  /** Locations registered although the data set holds the same content elsewhere (asked for by the CLI). */
  readonly duplicates: DuplicateLocation[];
}

/** Objects under `datasets/<datasetId>/` belong to that data set; others are not ours to register. */
export function datasetOfKey(key: string): string | undefined {
  const datasetId = datasetIdOfKey(key);
  return datasetId !== undefined && Name.safeParse(datasetId).success ? datasetId : undefined;
}

/** What registration makes of landed objects: entries by data set, what it passes by, and the bad lines. */
export interface PlannedEntries {
  readonly byDataset: Map<string, NewEntry[]>;
  readonly skipped: RegisterReport['skipped'];
  /** Lines that are not one JSON object in valid UTF-8, named `<key>:<line>`. */
  readonly problems: Violation[];
  /** Changes found while planning (local files compared before upload). */
  readonly changed?: ChangedLocation[];
}

/**
 * The catalog entries of landed objects, read and checked, with nothing written: a `.jsonl` object is a chunk
 * of records (one id per line, weight = the line's bytes), anything else one item (weight = its size).
 */
export async function entriesOf(
  deps: Deps,
  objects: readonly LandedObject[],
  datasetId?: string,
): Promise<PlannedEntries> {
  const skipped: RegisterReport['skipped'] = [];
  const problems: Violation[] = [];
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
    if (entry.problems.length > 0) {
      problems.push(...entry.problems);
      skipped.push({
        key: o.key,
        reason: `bad lines, first ${entry.problems[0]?.field}: ${entry.problems[0]?.rule}`,
      });
      continue;
    }
    byDataset.set(ds, [...(byDataset.get(ds) ?? []), entry.entry]);
  }
  return { byDataset, skipped, problems };
}

/**
 * Register planned entries, data set by data set; a location registers once. A location registered already is
 * compared with its entry: a different size or checksum is reported in `changed` (never registered again: its
 * ids are taken; `datasets accept` records the new object). With `duplicates`, content the data set holds
 * under another location is reported too, and registered all the same (the S3 key is the identity).
 */
export async function registerPlanned(
  deps: Deps,
  planned: PlannedEntries,
  options: { duplicates?: boolean } = {},
): Promise<RegisterReport> {
  const skipped = [...planned.skipped];
  const changed = [...(planned.changed ?? [])];
  const duplicates: DuplicateLocation[] = [];
  let registered = 0;
  let items = 0;
  const at = new Date(deps.clock.now()).toISOString();
  // Every data set is checked before anything is registered into any of them.
  for (const ds of planned.byDataset.keys()) {
    const dataset = await readableDataset(deps, ds);
    if (dataset.outputsOf !== undefined)
      throw new ValidationError([
        {
          field: 'datasetId',
          rule: `is the outputs of job ${dataset.outputsOf}: nothing is registered into it`,
        },
      ]);
  }
  for (const [ds, entries] of planned.byDataset) {
    const twins = options.duplicates ? await duplicatesOf(deps, ds, entries) : [];
    const out = await deps.catalog.register(ds, entries, at);
    const fresh = entries.filter((e) => !out.skippedLocations.includes(e.location));
    registered += out.registered;
    items += fresh.reduce((n, e) => n + e.count, 0);
    duplicates.push(...twins.filter((d) => fresh.some((e) => e.location === d.location)));
    for (const location of new Set(out.skippedLocations)) {
      const entry = entries.find((e) => e.location === location);
      const change = entry && (await changeAt(deps, ds, entry));
      if (change) changed.push(change);
      else skipped.push({ key: location, reason: 'already registered' });
    }
  }
  return { registered, items, skipped, changed, duplicates };
}

/**
 * Register landed objects in the catalog (the S3 event path): an object with bad lines is passed by, named in
 * `skipped` with its first bad line, never registered as items that would fail later. A location registers
 * once, so an event delivered twice is harmless.
 */
export async function registerObjects(
  deps: Deps,
  objects: readonly LandedObject[],
  datasetId?: string,
): Promise<RegisterReport> {
  return registerPlanned(deps, await entriesOf(deps, objects, datasetId));
}

async function entryFor(
  deps: Deps,
  o: LandedObject,
): Promise<{ entry: NewEntry; problems: Violation[] } | undefined> {
  const location = locationOf(o.bucket, o.key);
  if (!o.key.endsWith('.jsonl')) {
    const size = o.size ?? (await deps.objects.head(o.bucket, o.key))?.size;
    if (!size) return undefined;
    return { entry: { count: 1, location, format: 'object', weights: size, size }, problems: [] };
  }
  const body = await deps.objects.get(o.bucket, o.key);
  return body ? entryOfBody(location, o.key, body) : undefined;
}

/**
 * The entry of a JSON Lines body about to land at `location` (or landed there), with its bad lines named
 * `<where>:<line>`; undefined when it holds no line.
 */
export function entryOfBody(
  location: string,
  where: string,
  body: Uint8Array,
): { entry: NewEntry; problems: Violation[] } | undefined {
  const { weights, problems } = inspectJsonLines(body, where);
  if (weights.length === 0) return undefined;
  const entry: NewEntry = {
    count: weights.length,
    location,
    format: 'jsonl',
    weights,
    size: body.byteLength,
    checksum: sha256(body),
  };
  return { entry, problems };
}

/** Every object under an S3 prefix, page by page (a bucket that does not exist fails here, before any write). */
export async function objectsUnder(deps: Deps, bucket: string, prefix: string): Promise<LandedObject[]> {
  const objects: LandedObject[] = [];
  let next: string | undefined;
  do {
    const page = await deps.objects.list(bucket, prefix, { limit: 1000, next });
    objects.push(...page.items.map((i) => ({ bucket, key: i.key, size: i.size })));
    next = page.next;
  } while (next);
  return objects;
}

/** A one-off registration of everything already under an S3 prefix. */
export async function registerPrefix(
  deps: Deps,
  bucket: string,
  prefix: string,
  datasetId: unknown,
): Promise<RegisterReport> {
  const ds = parse(Name, datasetId, 'datasetId');
  return registerObjects(deps, await objectsUnder(deps, bucket, prefix), ds);
}
