import { itemIds } from '../catalog/catalog-source.ts';
import type { Deps } from '../deps.ts';
import { MANIFEST_ENTRIES_MAX, type ManifestEntry, type ManifestItem } from '../events.ts';
import type { EntryDescriptor, ItemLocation } from '../model.ts';

/**
 * The catalog entries of a batch, carried by its manifest item so that ProcessBatch loads the batch without
 * reading the catalog. Safe to carry: an entry never changes once registered, apart from `ready`, which only
 * goes from false to true, and only entries already ready are carried. Entries of requeued items (which point
 * at other data sets) are not carried, nor are more than MANIFEST_ENTRIES_MAX per batch (a data set of one
 * object per item): those batches read the catalog as before.
 */

/** Manifest items that are one span: each starts within a stride of where the previous one ended. */
function spansOf(manifest: readonly ManifestItem[]): ManifestItem[][] {
  const sorted = [...manifest].sort((a, b) => a.start - b.start);
  const spans: ManifestItem[][] = [];
  for (const item of sorted) {
    const span = spans.at(-1);
    const last = span?.at(-1);
    if (span && last && item.start > last.end && item.start <= last.end + last.stride) span.push(item);
    else spans.push([item]);
  }
  return spans;
}

const descriptorOf = (entry: EntryDescriptor): ManifestEntry => {
  const d: { -readonly [K in keyof ManifestEntry]: ManifestEntry[K] } = {
    start: entry.start,
    count: entry.count,
    location: entry.location,
    format: entry.format,
  };
  if (entry.size !== undefined) d.size = entry.size;
  if (entry.checksum !== undefined) d.checksum = entry.checksum;
  return d;
};

/**
 * The manifest with each batch's entries attached where they can be: one paged catalog read per span of
 * adjacent batches, given up for the rest of a span as soon as one batch needs more than MANIFEST_ENTRIES_MAX.
 */
export async function withEntries(
  deps: Pick<Deps, 'catalog'>,
  datasetId: string,
  manifest: readonly ManifestItem[],
): Promise<ManifestItem[]> {
  const found = new Map<ManifestItem, ManifestEntry[]>();
  for (const span of spansOf(manifest)) await collectSpan(deps, datasetId, span, found);
  return manifest.map((item) => {
    const entries = found.get(item);
    return entries && covers(entries, item) ? { ...item, entries } : item;
  });
}

async function collectSpan(
  deps: Pick<Deps, 'catalog'>,
  datasetId: string,
  span: readonly ManifestItem[],
  found: Map<ManifestItem, ManifestEntry[]>,
): Promise<void> {
  const first = span[0] as ManifestItem;
  const last = span.at(-1) as ManifestItem;
  const refused = new Set<ManifestItem>();
  let at = 0;
  for await (const entry of deps.catalog.descriptors(datasetId, first.start, last.end)) {
    const entryEnd = entry.start + entry.count - 1;
    // Batches that end before this entry have all of theirs.
    while (at < span.length && (span[at] as ManifestItem).end < entry.start) at++;
    for (let k = at; k < span.length && (span[k] as ManifestItem).start <= entryEnd; k++) {
      const item = span[k] as ManifestItem;
      const entries = found.get(item) ?? [];
      if (entries.length >= MANIFEST_ENTRIES_MAX) {
        // A batch over this many objects: the data set is dense with entries, not worth reading on.
        found.delete(item);
        return;
      }
      if (!entry.ready || entry.ref) refused.add(item);
      entries.push(descriptorOf(entry));
      found.set(item, entries);
    }
  }
  for (const item of refused) found.delete(item);
}

/** The entries tile the batch's range: nothing between its start and its end is left out. */
function covers(entries: readonly ManifestEntry[], item: ManifestItem): boolean {
  let next = item.start;
  for (const e of entries) {
    if (e.start > next) return false;
    next = Math.max(next, e.start + e.count);
  }
  return next > item.end;
}

/**
 * The items of a manifest item that carries its entries, in id order, as the catalog would list them;
 * undefined when it carries none.
 */
export function itemsOfManifest(item: ManifestItem): ItemLocation[] | undefined {
  if (!item.entries) return undefined;
  const out: ItemLocation[] = [];
  for (const entry of item.entries) {
    for (const id of itemIds(entry, item.start, item.end, item.stride)) {
      const loaded: { -readonly [K in keyof ItemLocation]: ItemLocation[K] } = {
        id,
        location: entry.location,
        ready: true,
        format: entry.format,
      };
      if (entry.checksum !== undefined) loaded.checksum = entry.checksum;
      if (entry.size !== undefined) loaded.size = entry.size;
      if (entry.format === 'jsonl') loaded.line = id - entry.start;
      out.push(loaded);
    }
  }
  return out;
}
