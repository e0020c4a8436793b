import { z } from 'zod';
import { planTransactions, validateEntries } from '../../../core/adapters/catalog-entries.ts';
import { decodeCursor, encodeCursor, pageLimit } from '../../../core/adapters/paging.ts';
import { keys, pad } from '../../../core/contracts/tables.ts';
import {
  DatasetConflictError,
  DatasetDeletingError,
  DatasetNotFoundError,
  ValidationError,
} from '../../../core/errors.ts';
import type { CatalogEntry, Dataset, EntryDescriptor } from '../../../core/model.ts';
import { DatasetSpec as DatasetSpecSchema } from '../../../core/model.ts';
import type {
  AcceptedContent,
  CatalogStore,
  NewDataset,
  NewEntry,
  Page,
  PageRequest,
  RegisterResult,
} from '../../../core/ports/index.ts';
import { MAX_ID, Name, parse } from '../../../core/validation.ts';
import type { FakeContext } from './fake-records.ts';
import { compact, copy, omit, pageOf } from './fake-table.ts';

const NewDatasetSpec = z.strictObject({
  ...DatasetSpecSchema.shape,
  exceptionsOf: Name.optional(),
  outputsOf: Name.optional(),
});
const LISTING_PK = keys.datasetListing('').pk;
/** BatchGetItem takes at most 100 keys, so a listing page is at most that. */
const LISTING_MAX = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Weights as the adapter reads them back: equal weights are kept as one number. */
function weightsOf(weights: NewEntry['weights']): CatalogEntry['weights'] {
  if (typeof weights === 'number') return weights;
  const first = weights[0] as number;
  return weights.every((w) => w === first) ? first : [...weights];
}

function checkRange(start: number, end: number): void {
  for (const [field, value] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new ValidationError([{ field, rule: 'must be an integer >= 0' }]);
  }
}

/**
 * CatalogStore in memory, with DynamoCatalogStore's rules: ids handed out by the data set's counter in order,
 * contiguous per transaction of at most 49 entries; a location registers once (even within one call); entries
 * validated as the adapter validates them; a data set created again must name the same secret and origin.
 */
export class FakeCatalogStore implements CatalogStore {
  constructor(private readonly ctx: FakeContext) {}

  async createDataset(spec: NewDataset, at: string): Promise<Dataset> {
    const wanted = parse(NewDatasetSpec, spec, 'data set spec');
    const existing = this.#dataset(wanted.datasetId);
    if (existing) {
      for (const field of ['secretArn', 'exceptionsOf', 'outputsOf'] as const) {
        if (existing[field] !== wanted[field])
          throw new DatasetConflictError({ datasetId: wanted.datasetId, field });
      }
      return copy(existing);
    }
    const dataset = compact<Dataset>({ ...wanted, highId: 0, createdAt: at });
    this.#putDataset(dataset);
    this.ctx.tables.catalog.put(keys.datasetListing(dataset.datasetId), {
      kind: 'dataset-listing',
      datasetId: dataset.datasetId,
    });
    return copy(dataset);
  }

  async getDataset(datasetId: string): Promise<Dataset | undefined> {
    const dataset = this.#dataset(datasetId);
    return dataset && copy(dataset);
  }

  async listDatasets(page: PageRequest = {}): Promise<Page<Dataset>> {
    const limit = pageLimit(page.limit, LISTING_MAX);
    const shape = { attributes: ['pk', 'sk'], fixed: { pk: LISTING_PK } };
    const after = decodeCursor(page.next, shape)?.sk as string | undefined;
    const listed = pageOf(this.ctx.tables.catalog.partition(LISTING_PK), limit, after);
    const items = listed.rows.flatMap(([id]) => {
      const dataset = this.#dataset(id);
      return dataset ? [copy(dataset)] : [];
    });
    const next = listed.last === undefined ? undefined : { pk: LISTING_PK, sk: listed.last };
    return { items, next: encodeCursor(next) };
  }

  async register(datasetId: string, entries: readonly NewEntry[], at: string): Promise<RegisterResult> {
    const { fresh, duplicates } = validateEntries(entries);
    const result = { registered: 0, skippedLocations: duplicates, highId: 0 } as Mutable<RegisterResult>;
    if (fresh.length === 0) result.highId = this.#highIdOf(datasetId);
    for (const group of planTransactions(fresh)) {
      const done = this.#registerGroup(datasetId, group, at);
      if (done.firstId !== undefined) result.firstId ??= done.firstId;
      if (done.lastId !== undefined) result.lastId = done.lastId;
      result.registered += done.registered;
      result.skippedLocations.push(...done.skipped);
      result.highId = done.highId;
    }
    return result;
  }

  entries(datasetId: string, start: number, end: number): AsyncIterable<CatalogEntry> {
    return this.#overlapping(datasetId, start, end, (e) => copy(e));
  }

  descriptors(datasetId: string, start: number, end: number): AsyncIterable<EntryDescriptor> {
    return this.#overlapping(datasetId, start, end, (e) => copy(omit(e, 'weights')));
  }

  async markReady(datasetId: string, start: number, end: number): Promise<number> {
    if (!this.#dataset(datasetId)) throw new DatasetNotFoundError({ datasetId });
    let marked = 0;
    for await (const entry of this.entries(datasetId, start, end)) {
      if (entry.ready) continue;
      this.#putEntry({ ...entry, ready: true });
      marked++;
    }
    return marked;
  }

  async findLocation(datasetId: string, location: string): Promise<number | undefined> {
    const marker = this.ctx.tables.catalog.get(keys.location(datasetId, location));
    return marker?.kind === 'location' ? marker.start : undefined;
  }

  async markDatasetDeleting(datasetId: string, _at: string): Promise<void> {
    const dataset = this.#dataset(datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId });
    this.#putDataset({ ...dataset, state: 'DELETING' });
  }

  /** The first `limit` records of the partition in key order, META kept (it is deleted last). */
  async deleteDatasetPage(datasetId: string, limit: number): Promise<number> {
    const pk = keys.dataset(datasetId).pk;
    const doomed = this.ctx.tables.catalog
      .partition(pk)
      .slice(0, limit + 1)
      .filter(([sk]) => sk !== 'META')
      .slice(0, limit);
    for (const [sk] of doomed) this.ctx.tables.catalog.delete({ pk, sk });
    return doomed.length;
  }

  async deleteDatasetRecord(datasetId: string): Promise<void> {
    this.ctx.tables.catalog.delete(keys.datasetListing(datasetId));
    this.ctx.tables.catalog.delete(keys.dataset(datasetId));
  }

  async acceptEntry(
    datasetId: string,
    start: number,
    content: AcceptedContent,
    at: string,
  ): Promise<CatalogEntry> {
    const dataset = this.#dataset(datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId });
    if (dataset.state === 'DELETING') throw new DatasetDeletingError({ datasetId });
    const r = this.ctx.tables.catalog.get(keys.entry(datasetId, start));
    if (r?.kind !== 'entry')
      throw new ValidationError([
        {
          field: 'start',
          rule: `must be the first id of an entry of data set ${datasetId} (${start} is not)`,
        },
      ]);
    const { checksum: _, ...rest } = r.entry;
    const entry = compact<CatalogEntry>({
      ...rest,
      size: content.size,
      checksum: content.checksum,
      weights: weightsOf(content.weights),
      acceptedAt: at,
    });
    this.#putEntry(entry);
    this.#putDataset({ ...dataset, lastAcceptedAt: at });
    return copy(entry);
  }

  /**
   * One transaction of the adapter: the counter moves by the group's ids, with an entry and a marker each; the
   * locations already registered are skipped and the rest take the ids right after the counter.
   */
  #registerGroup(datasetId: string, group: readonly NewEntry[], at: string) {
    const highId = this.#highIdOf(datasetId);
    if (highId + group.reduce((n, e) => n + e.count, 0) > MAX_ID)
      throw new ValidationError([{ field: 'entries', rule: `would take ids past ${MAX_ID}` }]);
    const known = (e: NewEntry) => this.ctx.tables.catalog.has(keys.location(datasetId, e.location));
    const skipped = group.filter(known).map((e) => e.location);
    const pending = group.filter((e) => !known(e));
    if (pending.length === 0) return { registered: 0, skipped, highId };
    let next = highId + 1;
    for (const e of pending) {
      this.#putEntry(
        compact<CatalogEntry>({
          datasetId,
          start: next,
          count: e.count,
          location: e.location,
          format: e.format,
          weights: weightsOf(e.weights),
          checksum: e.checksum,
          size: e.size,
          ref: e.ref && { datasetId: e.ref.datasetId, id: e.ref.id },
          ready: e.ready ?? true,
          registeredAt: at,
        }),
      );
      this.ctx.tables.catalog.put(keys.location(datasetId, e.location), { kind: 'location', start: next });
      next += e.count;
    }
    this.#putDataset({ ...(this.#dataset(datasetId) as Dataset), highId: next - 1 });
    return { firstId: highId + 1, lastId: next - 1, registered: pending.length, skipped, highId: next - 1 };
  }

  /** The entry holding `start`, then those starting in (its end, end], as the adapter's two Queries read them. */
  async *#overlapping<T>(datasetId: string, start: number, end: number, read: (e: CatalogEntry) => T) {
    checkRange(start, end);
    if (start > end) return;
    const pk = keys.dataset(datasetId).pk;
    const entryAt = (sk: string) => {
      const r = this.ctx.tables.catalog.get({ pk, sk });
      return r?.kind === 'entry' ? r.entry : undefined;
    };
    const before = this.ctx.tables.catalog.between(pk, 'E#', keys.entry(datasetId, start).sk).at(-1);
    const containing = before && entryAt(before[0]);
    const holds = containing && containing.start + containing.count - 1 >= start ? containing : undefined;
    if (holds) yield read(holds);
    const from = holds ? holds.start + holds.count : start;
    if (from > end) return;
    for (const [sk] of this.ctx.tables.catalog.between(pk, `E#${pad(from)}`, `E#${pad(end)}`)) {
      const entry = entryAt(sk);
      if (entry) yield read(entry);
    }
  }

  #highIdOf(datasetId: string): number {
    const dataset = this.#dataset(datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId });
    if (dataset.state === 'DELETING') throw new DatasetDeletingError({ datasetId });
    return dataset.highId;
  }

  #dataset(datasetId: string): Dataset | undefined {
    const r = this.ctx.tables.catalog.get(keys.dataset(datasetId));
    return r?.kind === 'dataset' ? r.dataset : undefined;
  }

  #putDataset(dataset: Dataset): void {
    this.ctx.tables.catalog.put(keys.dataset(dataset.datasetId), { kind: 'dataset', dataset: copy(dataset) });
  }

  #putEntry(entry: CatalogEntry): void {
    this.ctx.tables.catalog.put(keys.entry(entry.datasetId, entry.start), {
      kind: 'entry',
      entry: copy(entry),
    });
  }
}
