import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ContentionError, DatasetConflictError, DatasetNotFoundError, ValidationError } from '../errors.ts';
import type { CatalogEntry, Dataset } from '../model.ts';
import { DatasetSpec } from '../model.ts';
import type { CatalogStore, NewEntry, Page, PageRequest, RegisterResult } from '../ports.ts';
import { keys } from '../tables.ts';
import { MAX_ID, Name, parse } from '../validation.ts';
import {
  compact,
  fromEntryItem,
  planTransactions,
  toEntryItem,
  toLocationItem,
  validateEntries,
} from './catalog-entries.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';

/** Optimistic attempts on the id counter before giving up with a ContentionError. */
const MAX_ATTEMPTS = 16;
/** Entries read per Query: entries() and items() hold at most this page in memory. */
const ENTRY_PAGE = 100;
/** BatchGetItem takes at most 100 keys, so a listing page is at most that. */
const LISTING_MAX = 100;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Reason = { code: string; item?: Record<string, unknown> };

const NewDatasetSpec = z.strictObject({ ...DatasetSpec.shape, exceptionsOf: Name.optional() });

const DatasetItem = z.object({
  datasetId: z.string(),
  description: z.string().optional(),
  secretArn: z.string().optional(),
  exceptionsOf: z.string().optional(),
  highId: z.number().int().min(0),
  createdAt: z.string(),
});

/**
 * The catalog on DynamoDB (layout in core/tables.ts): one META item per data set holding the id counter, one
 * item per entry (an object, or a chunk of JSON Lines records), one marker per registered location.
 * @example const catalog = new DynamoCatalogStore({ doc: clients.doc, table: tables.catalog });
 */
export class DynamoCatalogStore implements CatalogStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: { readonly doc: DynamoDBDocumentClient; readonly table: string }) {
    this.#doc = props.doc;
    this.#table = props.table;
  }

  /**
   * Create a data set, or return it when it already exists with the same secret and origin; the META item and
   * its listing are written together so that a listed data set always has a counter.
   */
  async createDataset(spec: DatasetSpec & { exceptionsOf?: string }, at: string): Promise<Dataset> {
    const wanted = parse(NewDatasetSpec, spec, 'data set spec');
    const meta = compact({
      ...keys.dataset(wanted.datasetId),
      kind: 'dataset',
      ...wanted,
      highId: 0,
      createdAt: at,
    });
    const listing = {
      ...keys.datasetListing(wanted.datasetId),
      kind: 'dataset-listing',
      datasetId: wanted.datasetId,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const reasons = await this.#transact([this.#putNew(meta), this.#putNew(listing)]);
      if (reasons === undefined) return fromDatasetItem(meta);
      const existing = reasons[0]?.item
        ? fromDatasetItem(reasons[0].item)
        : await this.getDataset(wanted.datasetId);
      if (existing) return sameDataset(existing, wanted);
      await backoff(attempt);
    }
    throw new ContentionError({
      jobId: wanted.datasetId,
      operation: 'createDataset',
      attempts: MAX_ATTEMPTS,
    });
  }

  async getDataset(datasetId: string): Promise<Dataset | undefined> {
    const out = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: keys.dataset(datasetId), ConsistentRead: true }),
    );
    return out.Item ? fromDatasetItem(out.Item) : undefined;
  }

  /** Data sets in id order; each with its current highId (read from its META item, consistently). */
  async listDatasets(page: PageRequest = {}): Promise<Page<Dataset>> {
    const listingPk = keys.datasetListing('').pk;
    const out = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': listingPk },
        Limit: pageLimit(page.limit, LISTING_MAX),
        ExclusiveStartKey: decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk: listingPk } }),
      }),
    );
    const ids = (out.Items ?? []).map((i) => String(i.sk));
    const metas = await this.#getMetas(ids);
    const items = ids.flatMap((id) => metas.get(id) ?? []);
    return { items, next: encodeCursor(out.LastEvaluatedKey) };
  }

  /**
   * Hand out ids to new entries, in order, with no hole and no overlap. Each transaction reads the counter,
   * then moves it only if it still holds what was read, in the same TransactWriteItems as the entries and their
   * location markers: either all of that is written or none of it. A transaction carries at most 49 entries
   * (100 items: the counter plus an entry and a marker each), so a larger call runs several transactions, one
   * counter write each; the ids of one call are then contiguous per transaction, not across them.
   * A location already registered (even by a concurrent call) is skipped, not registered twice.
   */
  async register(datasetId: string, entries: readonly NewEntry[], at: string): Promise<RegisterResult> {
    const { fresh, duplicates } = validateEntries(entries);
    const result = { registered: 0, skippedLocations: duplicates, highId: 0 } as Mutable<RegisterResult>;
    if (fresh.length === 0) result.highId = await this.#readHighId(datasetId);
    for (const group of planTransactions(fresh)) {
      const done = await this.#registerGroup(datasetId, group, at);
      if (done.firstId !== undefined) result.firstId ??= done.firstId;
      if (done.lastId !== undefined) result.lastId = done.lastId;
      result.registered += done.registered;
      result.skippedLocations.push(...done.skipped);
      result.highId = done.highId;
    }
    return result;
  }

  /** Entries overlapping [start, end], in id order, read consistently one page at a time. */
  async *entries(datasetId: string, start: number, end: number): AsyncIterable<CatalogEntry> {
    checkRange(start, end);
    if (start > end) return;
    const containing = await this.#entryContaining(datasetId, start);
    if (containing) yield containing;
    // Entries tile the ids: the next one starts after the containing one, and often none is needed.
    const from = containing ? containing.start + containing.count : start;
    if (from > end) return;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': keys.dataset(datasetId).pk,
            ':from': keys.entry(datasetId, from).sk,
            ':to': keys.entry(datasetId, end).sk,
          },
          ConsistentRead: true,
          Limit: ENTRY_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const raw of out.Items ?? []) yield fromEntryItem(datasetId, raw);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
  }

  /** The first id `location` was registered under, from its marker; undefined when it never was. */
  async findLocation(datasetId: string, location: string): Promise<number | undefined> {
    const out = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: keys.location(datasetId, location),
        ConsistentRead: true,
      }),
    );
    return out.Item
      ? parse(z.object({ start: z.number().int() }), out.Item, 'location marker').start
      : undefined;
  }

  /**
   * An upstream producer's mark: every entry overlapping [start, end] becomes ready (entries are marked whole).
   * Returns how many entries changed.
   */
  async markReady(datasetId: string, start: number, end: number): Promise<number> {
    if (!(await this.getDataset(datasetId))) throw new DatasetNotFoundError({ datasetId });
    let marked = 0;
    for await (const entry of this.entries(datasetId, start, end)) {
      if (!entry.ready && (await this.#markEntryReady(datasetId, entry.start))) marked++;
    }
    return marked;
  }

  /** True when this call flipped the entry; false when another producer marked it first. */
  async #markEntryReady(datasetId: string, start: number): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: keys.entry(datasetId, start),
          UpdateExpression: 'SET ready = :ready',
          // notReadyYet: two producers marking one range count each entry once, and no entry is conjured.
          ConditionExpression: 'attribute_exists(pk) AND ready = :notReady',
          ExpressionAttributeValues: { ':ready': true, ':notReady': false },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async #registerGroup(datasetId: string, group: readonly NewEntry[], at: string) {
    let pending = group;
    const skipped: string[] = [];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; ) {
      const highId = await this.#readHighId(datasetId);
      if (pending.length === 0) return { registered: 0, skipped, highId };
      const placed = assignIds(pending, highId);
      const reasons = await this.#transact(this.#registerItems(datasetId, placed, highId, at));
      if (reasons === undefined) {
        const newHigh = highId + placed.reduce((n, p) => n + p.entry.count, 0);
        return { firstId: highId + 1, lastId: newHigh, registered: placed.length, skipped, highId: newHigh };
      }
      // Items are [counter, entry 0, marker 0, entry 1, marker 1, ...]: a failed marker names a known location.
      const taken = pending.filter((_, i) => reasons[2 + 2 * i]?.code === 'ConditionalCheckFailed');
      skipped.push(...taken.map((e) => e.location));
      pending = pending.filter((e) => !taken.includes(e));
      if (isContention(reasons)) await backoff(attempt++);
      else if (taken.length === 0) throw unexpected(datasetId, reasons, attempt);
    }
    throw new ContentionError({ jobId: datasetId, operation: 'register', attempts: MAX_ATTEMPTS });
  }

  #registerItems(datasetId: string, placed: readonly Placed[], highId: number, at: string): TransactItem[] {
    const newHigh = highId + placed.reduce((n, p) => n + p.entry.count, 0);
    const counter: TransactItem = {
      Update: {
        TableName: this.#table,
        Key: keys.dataset(datasetId),
        UpdateExpression: 'SET highId = :new',
        // counterUnchanged: nobody handed out ids since we read highId, so ours start right after it.
        ConditionExpression: 'attribute_exists(pk) AND highId = :old',
        ExpressionAttributeValues: { ':new': newHigh, ':old': highId },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
    const writes = placed.flatMap(({ entry, start }) => [
      this.#putNew(toEntryItem(datasetId, start, entry, at)),
      this.#putNew(toLocationItem(datasetId, entry.location, start, at)),
    ]);
    return [counter, ...writes];
  }

  /** A Put that never overwrites: an entry's ids, a location or a data set are written once. */
  #putNew(item: Record<string, unknown>): TransactItem {
    return {
      Put: {
        TableName: this.#table,
        Item: item,
        // notYetWritten: the key is new; otherwise the old item comes back with the cancellation.
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Run a transaction; undefined when it committed, else one reason per item (old items unmarshalled). */
  async #transact(items: TransactItem[]): Promise<Reason[] | undefined> {
    try {
      await this.#doc.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (e) {
      const err = e as {
        name?: string;
        CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[];
      };
      if (err.name !== 'TransactionCanceledException') throw e;
      // The document client does not unmarshall the items inside an error.
      return (err.CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? 'None',
        item: r.Item ? unmarshall(r.Item) : undefined,
      }));
    }
  }

  async #readHighId(datasetId: string): Promise<number> {
    const dataset = await this.getDataset(datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId });
    return dataset.highId;
  }

  /** The entry whose range holds `id`, if any: the last entry starting at or before it. */
  async #entryContaining(datasetId: string, id: number): Promise<CatalogEntry | undefined> {
    const out = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :id',
        ExpressionAttributeValues: {
          ':pk': keys.dataset(datasetId).pk,
          ':first': 'E#',
          ':id': keys.entry(datasetId, id).sk,
        },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const raw = out.Items?.[0];
    const entry = raw ? fromEntryItem(datasetId, raw) : undefined;
    return entry && entry.start + entry.count - 1 >= id ? entry : undefined;
  }

  async #getMetas(ids: readonly string[]): Promise<Map<string, Dataset>> {
    const found = new Map<string, Dataset>();
    let pending = ids.map((id) => keys.dataset(id) as Record<string, unknown>);
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await backoff(round);
      const out = await this.#doc.send(
        new BatchGetCommand({ RequestItems: { [this.#table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const raw of out.Responses?.[this.#table] ?? []) {
        const dataset = fromDatasetItem(raw);
        found.set(dataset.datasetId, dataset);
      }
      pending = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
    }
    return found;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Placed = { entry: NewEntry; start: number };

function assignIds(pending: readonly NewEntry[], highId: number): Placed[] {
  let next = highId + 1;
  const placed = pending.map((entry) => {
    const start = next;
    next += entry.count;
    return { entry, start };
  });
  if (next - 1 > MAX_ID)
    throw new ValidationError([{ field: 'entries', rule: `would take ids past ${MAX_ID}` }]);
  return placed;
}

/** Another registrar moved the counter, or DynamoDB saw two transactions on one item: read again and retry. */
function isContention(reasons: readonly Reason[]): boolean {
  const busy = ['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded'];
  return reasons[0]?.code === 'ConditionalCheckFailed' || reasons.some((r) => busy.includes(r.code));
}

function unexpected(datasetId: string, reasons: readonly Reason[], attempts: number): ContentionError {
  const codes = [...new Set(reasons.map((r) => r.code).filter((c) => c !== 'None'))].join(', ');
  return new ContentionError({ jobId: datasetId, operation: `register (cancelled: ${codes})`, attempts });
}

function sameDataset(existing: Dataset, wanted: z.infer<typeof NewDatasetSpec>): Dataset {
  for (const field of ['secretArn', 'exceptionsOf'] as const) {
    if (existing[field] !== wanted[field])
      throw new DatasetConflictError({ datasetId: wanted.datasetId, field });
  }
  return existing;
}

function fromDatasetItem(raw: Record<string, unknown>): Dataset {
  return compact(parse(DatasetItem, raw, 'data set record')) as Dataset;
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

/** Full jitter: racing registrars spread out instead of colliding again in lockstep. */
const backoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
