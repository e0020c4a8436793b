import type { Deps } from '../deps.ts';
import type { EntryDescriptor } from '../model.ts';
import type { NewEntry } from '../ports/index.ts';

/** What the catalog knows of an object's content: its size, and for a JSON Lines object its sha256. */
export interface ContentFacts {
  readonly size?: number;
  readonly checksum?: string;
}

/** A registered location whose object no longer holds what its entry records. */
export interface ChangedLocation {
  readonly location: string;
  /** The ids of the location's entry: their batches fail the `right` preflight until the object is accepted. */
  readonly ids: { readonly start: number; readonly end: number };
  /** What the entry records (as registered, or as last accepted). */
  readonly registered: ContentFacts;
  /** What is at the location now. */
  readonly found: ContentFacts;
}

/** A location registered although its content is already in the data set under another location. */
export interface DuplicateLocation {
  readonly location: string;
  readonly sameAs: string;
}

/** How many changed or duplicate locations a report prints one by one; the rest are counted. */
export const LOCATIONS_SHOWN = 10;

/** The entry a location was registered as, without its weights; undefined when it never was. */
export async function entryAtLocation(
  deps: Pick<Deps, 'catalog'>,
  datasetId: string,
  location: string,
): Promise<EntryDescriptor | undefined> {
  const start = await deps.catalog.findLocation(datasetId, location);
  if (start === undefined) return undefined;
  for await (const entry of deps.catalog.descriptors(datasetId, start, start))
    if (entry.start === start) return entry;
  return undefined;
}

/** True when a fact both sides know differs: sizes always, checksums when both have one. */
export function contentDiffers(registered: ContentFacts, found: ContentFacts): boolean {
  if (registered.size !== undefined && found.size !== undefined && registered.size !== found.size)
    return true;
  return (
    registered.checksum !== undefined &&
    found.checksum !== undefined &&
    registered.checksum !== found.checksum
  );
}

const factsOf = (e: ContentFacts): ContentFacts =>
  Object.fromEntries(
    Object.entries({ size: e.size, checksum: e.checksum }).filter(([, v]) => v !== undefined),
  ) as ContentFacts;

/**
 * The change at a location already registered, as `entry` (read from the location now) shows it; undefined
 * when the location is not registered or holds what its entry records.
 */
export async function changeAt(
  deps: Pick<Deps, 'catalog'>,
  datasetId: string,
  entry: NewEntry,
): Promise<ChangedLocation | undefined> {
  const registered = await entryAtLocation(deps, datasetId, entry.location);
  if (!registered || !contentDiffers(registered, entry)) return undefined;
  return {
    location: entry.location,
    ids: { start: registered.start, end: registered.start + registered.count - 1 },
    registered: factsOf(registered),
    found: factsOf(entry),
  };
}

const contentKey = (e: ContentFacts) =>
  e.size !== undefined && e.checksum !== undefined ? `${e.size}:${e.checksum}` : undefined;

/**
 * The entries whose content (same size and checksum; only JSON Lines entries have a checksum) is already in the
 * data set under another location, or earlier in `entries`. Reads the data set's entries once, without their
 * weights: a one-off registration can afford it, the per-object event path does not ask.
 */
export async function duplicatesOf(
  deps: Pick<Deps, 'catalog'>,
  datasetId: string,
  entries: readonly NewEntry[],
): Promise<DuplicateLocation[]> {
  if (!entries.some((e) => contentKey(e) !== undefined)) return [];
  const seen = new Map<string, string>();
  const dataset = await deps.catalog.getDataset(datasetId);
  for await (const e of deps.catalog.descriptors(datasetId, 1, dataset?.highId ?? 0)) {
    const key = contentKey(e);
    if (key !== undefined && !seen.has(key)) seen.set(key, e.location);
  }
  const out: DuplicateLocation[] = [];
  for (const e of entries) {
    const key = contentKey(e);
    if (key === undefined) continue;
    const sameAs = seen.get(key);
    if (sameAs === undefined) seen.set(key, e.location);
    else if (sameAs !== e.location) out.push({ location: e.location, sameAs });
  }
  return out;
}
