import { ValidationError } from '../errors.ts';
import type { CatalogEntry, Item } from '../model.ts';
import type { CatalogStore, Source } from '../ports/index.ts';
import { readableDataset } from './delete-dataset.ts';

/**
 * The `Source` of a catalog data set: one Item per id, chunk entries expanded line by line. It streams: at most
 * one page of entries is held at a time, whatever the range.
 * @example for await (const item of new CatalogSource(catalog, 'images').items(1, 1000, 10)) { ... }
 */
export class CatalogSource implements Source {
  readonly datasetId: string;
  readonly #catalog: CatalogStore;

  /** The high id of a data set record just read, answered once instead of reading it again. */
  #knownHighId: number | undefined;

  constructor(catalog: CatalogStore, datasetId: string, knownHighId?: number) {
    this.#catalog = catalog;
    this.datasetId = datasetId;
    this.#knownHighId = knownHighId;
  }

  async highId(): Promise<number> {
    const known = this.#knownHighId;
    this.#knownHighId = undefined;
    if (known !== undefined) return known;
    return (await readableDataset({ catalog: this.#catalog }, this.datasetId)).highId;
  }

  async *items(start: number, end: number, stride = 1): AsyncIterable<Item> {
    if (!Number.isSafeInteger(stride) || stride < 1) {
      throw new ValidationError([{ field: 'stride', rule: 'must be an integer >= 1' }]);
    }
    for await (const entry of this.#catalog.entries(this.datasetId, start, end)) {
      for (const id of itemIds(entry, start, end, stride)) yield itemOf(entry, id);
    }
  }
}

/** The ids of an entry that lie in [start, end] on the stride grid that starts at `start`, in order. */
export function* itemIds(
  entry: { readonly start: number; readonly count: number },
  start: number,
  end: number,
  stride: number,
): Generator<number> {
  const from = Math.max(start, entry.start);
  const first = from + ((stride - ((from - start) % stride)) % stride);
  const last = Math.min(end, entry.start + entry.count - 1);
  for (let id = first; id <= last; id += stride) yield id;
}

/** One item of an entry; built field by field (not through `compact`): this runs once per item of a batch. */
function itemOf(entry: CatalogEntry, id: number): Item {
  const line = id - entry.start;
  const weight = typeof entry.weights === 'number' ? entry.weights : (entry.weights[line] as number);
  const item: { -readonly [K in keyof Item]: Item[K] } = {
    datasetId: entry.datasetId,
    id,
    location: entry.location,
    weight,
    ready: entry.ready,
    format: entry.format,
  };
  if (entry.checksum !== undefined) item.checksum = entry.checksum;
  if (entry.size !== undefined) item.size = entry.size;
  if (entry.format === 'jsonl') item.line = line;
  if (entry.ref !== undefined) item.ref = entry.ref;
  return item;
}
