import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import { ValidationError } from '../errors.ts';
import type { CatalogEntry, EntryDescriptor } from '../model.ts';
import type { NewEntry } from '../ports/index.ts';
import { Id, MAX_ID, Name, PositiveInt, parse } from '../validation.ts';

// Catalog entries: validation, item layout and transaction size. dynamo-catalog-store.ts hands out their ids.

/** A transaction holds 100 items: the counter, then an entry and its location marker each. */
const ENTRIES_PER_TRANSACTION = 49;
/** A transaction carries at most 4 MB of items; keep a margin for attribute names and estimates. */
const TRANSACTION_BYTES = 3_000_000;
/**
 * Per-item weights are stored as little-endian float64 (8 bytes each, exact, any positive double), so this
 * many fit in one item under DynamoDB's 400 KB with room to spare. Larger chunks take a uniform weight.
 */
export const MAX_ITEM_WEIGHTS = 40_000;
/** Sort keys hold 1,024 bytes, and a location marker's key is `L#<location>`. */
const MAX_LOCATION_BYTES = 1000;

/** Drop undefined attributes: a caller's doc client may not be set to remove them. */
export function compact<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

const NewEntryInput = z
  .strictObject({
    count: PositiveInt(MAX_ID),
    location: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_LOCATION_BYTES, {
        error: `must be at most ${MAX_LOCATION_BYTES} bytes`,
      }),
    format: z.enum(['object', 'jsonl'], { error: "must be 'object' or 'jsonl'" }),
    weights: z.unknown(),
    checksum: z.string({ error: 'must be a string' }).min(1).max(512).optional(),
    size: z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0).optional(),
    ref: z.strictObject({ datasetId: Name, id: Id }).optional(),
    ready: z.boolean({ error: 'must be a boolean' }).optional(),
  })
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (e.format === 'object' && e.count !== 1) issue('count', "must be 1 for format 'object'");
    const rule = weightsRule(e.weights, e.count);
    if (rule) issue('weights', rule);
  });

const positive = (w: unknown) => typeof w === 'number' && Number.isFinite(w) && w > 0;

function weightsRule(weights: unknown, count: number): string | undefined {
  if (typeof weights === 'number') return positive(weights) ? undefined : 'must be a positive finite number';
  if (!Array.isArray(weights)) return 'must be a positive number or an array of `count` positive numbers';
  if (weights.length !== count) return `must have count (${count}) weights, not ${weights.length}`;
  if (weights.length > MAX_ITEM_WEIGHTS && !weights.every((w) => w === weights[0])) {
    return `must be uniform (one number) beyond ${MAX_ITEM_WEIGHTS} items`;
  }
  const bad = weights.findIndex((w) => !positive(w));
  return bad < 0 ? undefined : `must be positive finite numbers (item ${bad} is ${String(weights[bad])})`;
}

/** Every entry valid (or a ValidationError naming `entries.<i>.<field>`), and one entry per location. */
export function validateEntries(entries: readonly NewEntry[]): { fresh: NewEntry[]; duplicates: string[] } {
  const valid = parse(z.object({ entries: z.array(NewEntryInput, { error: 'must be an array' }) }), {
    entries,
  });
  const seen = new Set<string>();
  const fresh: NewEntry[] = [];
  const duplicates: string[] = [];
  for (const entry of valid.entries as NewEntry[]) {
    if (seen.has(entry.location)) duplicates.push(entry.location);
    else fresh.push(entry);
    seen.add(entry.location);
  }
  return { fresh, duplicates };
}

/** Entries cut into transactions that DynamoDB accepts: at most 49 entries and about 3 MB each. */
export function planTransactions(entries: readonly NewEntry[]): NewEntry[][] {
  const groups: NewEntry[][] = [];
  let group: NewEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = 600 + 2 * Buffer.byteLength(entry.location, 'utf8') + 8 * weightCount(entry.weights);
    if (group.length === ENTRIES_PER_TRANSACTION || (group.length > 0 && bytes + size > TRANSACTION_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(entry);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

const weightCount = (weights: NewEntry['weights']) =>
  typeof weights === 'number' || uniformWeight(weights) !== undefined ? 0 : weights.length;

function uniformWeight(weights: NewEntry['weights']): number | undefined {
  if (typeof weights === 'number') return weights;
  const first = weights[0];
  return weights.every((w) => w === first) ? first : undefined;
}

export function toEntryItem(
  datasetId: string,
  start: number,
  entry: NewEntry,
  at: string,
): Record<string, unknown> {
  const uniform = uniformWeight(entry.weights);
  return compact({
    ...keys.entry(datasetId, start),
    kind: 'entry',
    start,
    count: entry.count,
    location: entry.location,
    format: entry.format,
    // Uniform weights take one number; others are packed, so a 10,000-line chunk stays near 80 KB.
    weight: uniform,
    weightsBin: uniform === undefined ? packWeights(entry.weights as readonly number[]) : undefined,
    checksum: entry.checksum,
    size: entry.size,
    ref: entry.ref,
    ready: entry.ready ?? true,
    registeredAt: at,
  });
}

/**
 * The weight attributes of an entry item: one number when the weights are uniform, else packed (the other
 * attribute absent).
 */
export function weightAttributes(weights: NewEntry['weights']): { weight?: number; weightsBin?: Uint8Array } {
  const uniform = uniformWeight(weights);
  return uniform !== undefined
    ? { weight: uniform }
    : { weightsBin: packWeights(weights as readonly number[]) };
}

/** A location's marker (read by findLocation): the first id the location was registered under. */
export function toLocationItem(datasetId: string, location: string, start: number, at: string) {
  return { ...keys.location(datasetId, location), kind: 'location', start, registeredAt: at };
}

const EntryItem = z.object({
  start: z.number().int(),
  count: z.number().int().min(1),
  location: z.string(),
  format: z.enum(['object', 'jsonl']),
  weight: z.number().optional(),
  weightsBin: z.instanceof(Uint8Array).optional(),
  checksum: z.string().optional(),
  size: z.number().optional(),
  ref: z.object({ datasetId: z.string(), id: z.number() }).optional(),
  ready: z.boolean(),
  registeredAt: z.string(),
  acceptedAt: z.string().optional(),
});

export function fromEntryItem(datasetId: string, raw: Record<string, unknown>): CatalogEntry {
  const { weight, weightsBin, ...rest } = parse(EntryItem, raw, 'catalog entry');
  const weights = weight ?? (weightsBin && unpackWeights(weightsBin, rest.count));
  if (weights === undefined) {
    throw new ValidationError([{ field: 'weightsBin', rule: `must hold ${rest.count} float64 weights` }], {
      what: 'catalog entry',
    });
  }
  return compact({ datasetId, ...rest, weights });
}

/** The attributes an EntryDescriptor is read from: an entry item's, without the weights. */
export const DESCRIPTOR_PROJECTION =
  'start, count, location, format, checksum, size, ref, ready, registeredAt, acceptedAt';

const DescriptorItem = EntryItem.omit({ weight: true, weightsBin: true });

/** An entry read with DESCRIPTOR_PROJECTION. */
export function fromDescriptorItem(datasetId: string, raw: Record<string, unknown>): EntryDescriptor {
  return compact({ datasetId, ...parse(DescriptorItem, raw, 'catalog entry') });
}

function packWeights(weights: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(weights.length * 8);
  const view = new DataView(bytes.buffer);
  for (const [i, w] of weights.entries()) view.setFloat64(i * 8, w, true);
  return bytes;
}

function unpackWeights(bytes: Uint8Array, count: number): number[] | undefined {
  if (bytes.byteLength !== count * 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true));
}
