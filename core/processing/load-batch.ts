import { sourceFor, sourceOfDataset } from '../catalog/sources.ts';
import { isSha256, sha256 } from '../checksum.ts';
import { parseLocation } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { refsOfItems } from '../jobs/dependencies.ts';
import type { Batch, Dataset, Item, ItemLocation, ProducerBatchRef } from '../model.ts';
import type { Source } from '../ports/index.ts';
import { type Preflight, preflightFailed } from './preflight.ts';

/** An item with its raw record, ready for the processor's schema. */
export interface LoadedItem {
  readonly id: number;
  readonly raw: unknown;
}

/** A batch's records, with the preflight's answers so far. */
export interface LoadedBatch {
  readonly items: LoadedItem[];
  readonly answers: Preflight;
  /** For a job with producers: the producer batches its items were read from (core/jobs/dependencies.ts). */
  readonly producers: ProducerBatchRef[];
}

/**
 * Answer ready, where and right for a batch, and load its records. Each object is fetched once per batch; a
 * requeued item (ref) is loaded from its original data set. Throws PreflightFailedError on the first no, with
 * the answers given so far (`answered`, the questions asked before, and its own).
 */
export async function loadBatch(
  deps: Deps,
  dataset: Dataset,
  batch: Batch,
  options: {
    /** Answers given before this step; they come back with its own. */
    readonly answered?: Preflight;
    /** The catalog's items of the batch's range, when they were read already or came with the manifest. */
    readonly listed?: readonly ItemLocation[];
    /** Where the items are listed from when they were not: the data set's source unless given. */
    readonly source?: Source;
  } = {},
): Promise<LoadedBatch> {
  const items = options.listed ?? (await listItems(options.source ?? sourceOfDataset(deps, dataset), batch));
  const notReady = items.filter((i) => !i.ready).length;
  const missingIds = batch.count - items.length;
  const ready = {
    ok: missingIds === 0 && notReady === 0,
    detail: `${items.length}/${batch.count} ids registered, ${notReady} not marked READY`,
  };
  const answered = { ...options.answered, ready };
  if (!ready.ok) throw preflightFailed(batch, 'ready', answered);
  const originals = await resolveRefs(deps, items, answered);
  const sources = originals ? items.map((item, k) => originals[k] ?? item) : items;
  const { bodies, answers } = await fetchObjects(deps, batch, sources, answered);
  const loaded: LoadedItem[] = [];
  for (const [k, item] of items.entries()) {
    const source = sources[k] as ItemLocation;
    const raw = recordOf(bodies.get(source.location) as Decoded, source);
    // An id its producer set aside has no output line: there is nothing to process.
    if (raw !== ABSENT) loaded.push({ id: item.id, raw });
  }
  return { items: loaded, answers, producers: refsOfItems(items) };
}

/** The catalog's items of a range, in id order. */
export async function listItems(
  source: Source,
  batch: { start: number; end: number; stride: number },
): Promise<Item[]> {
  const out: Item[] = [];
  for await (const item of source.items(batch.start, batch.end, batch.stride)) out.push(item);
  return out;
}

/**
 * Requeued exceptions point at the original item: the original of each item that has one (by position), to be
 * loaded under the requeued id; undefined when no item of the batch is requeued.
 */
async function resolveRefs(
  deps: Deps,
  items: readonly ItemLocation[],
  answered: Preflight,
): Promise<(Item | undefined)[] | undefined> {
  if (!items.some((item) => item.ref)) return undefined;
  const out: (Item | undefined)[] = [];
  for (const item of items) {
    if (!item.ref) {
      out.push(undefined);
      continue;
    }
    const original = await sourceFor(deps, item.ref.datasetId);
    let found: Item | undefined;
    for await (const o of original.items(item.ref.id, item.ref.id)) found = o;
    if (!found)
      throw preflightFailed({ jobId: '', start: item.id }, 'ready', {
        ...answered,
        ready: { ok: false, detail: `original item ${item.ref.datasetId}/${item.ref.id} is gone` },
      });
    out.push(found);
  }
  return out;
}

async function fetchObjects(deps: Deps, batch: Batch, items: readonly ItemLocation[], answered: Preflight) {
  const bodies = new Map<string, Decoded>();
  const mismatches: string[] = [];
  for (const item of items) {
    if (bodies.has(item.location)) continue;
    const where = parseLocation(item.location);
    const body = where ? await deps.objects.get(where.bucket, where.key) : undefined;
    if (!body)
      throw preflightFailed(batch, 'where', {
        ...answered,
        where: { ok: false, detail: `${item.location} does not exist` },
      });
    if (item.size !== undefined && item.size !== body.byteLength)
      mismatches.push(`${item.location}: size ${body.byteLength}, registered ${item.size}`);
    if (isSha256(item.checksum) && sha256(body) !== item.checksum)
      mismatches.push(`${item.location}: checksum differs`);
    bodies.set(item.location, decode(body, item.format));
  }
  const answers = {
    ...answered,
    where: { ok: true, detail: `${bodies.size} object(s) found` },
    right: {
      ok: mismatches.length === 0,
      detail:
        mismatches.length === 0 ? 'sizes and checksums as registered' : mismatches.slice(0, 5).join('; '),
    },
  };
  if (!answers.right.ok) throw preflightFailed(batch, 'right', answers);
  return { bodies, answers };
}

/** An object decoded once: the whole text, its lines, or (a job's outputs) its outputs by id. */
type Decoded = string | string[] | Map<number, unknown>;

/** An id with no line in its producer's output object. */
const ABSENT = Symbol('absent');

/** An object decoded once: JSON Lines objects are split once, not once per item. */
function decode(body: Uint8Array, format: Item['format']): Decoded {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (format === 'output') return outputsById(text);
  return format === 'jsonl' ? text.split('\n') : text;
}

/** A batch's output object (`{"id":N,"output":...}` per line) as a map from id to output. */
function outputsById(text: string): Map<number, unknown> {
  const out = new Map<number, unknown>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const { id, output } = JSON.parse(line) as { id: number; output: unknown };
    out.set(id, output);
  }
  return out;
}

/** One record: the whole object, one line of a chunk, or one output. Text that is not JSON is returned as is. */
function recordOf(decoded: Decoded, item: ItemLocation): unknown {
  if (decoded instanceof Map) return decoded.has(item.id) ? decoded.get(item.id) : ABSENT;
  const raw = typeof decoded === 'string' ? decoded : (decoded[item.line ?? 0] ?? '');
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
