import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import {
  ContentionError,
  DatasetConflictError,
  DatasetDeletingError,
  DatasetNotFoundError,
  ValidationError,
} from '../errors.ts';
import type { CatalogEntry, Dataset, EntryDescriptor } from '../model.ts';
import { DatasetSpec } from '../model.ts';
import type {
  AcceptedContent,
  CatalogStore,
  NewDataset,
  NewEntry,
  Page,
  PageRequest,
  RegisterResult,
} from '../ports/index.ts';
import { Name, parse } from '../validation.ts';
import { compact, DESCRIPTOR_PROJECTION, fromDescriptorItem, fromEntryItem } from './catalog-entries.ts';
import {
  acceptEntry,
  deletePage,
  deleteRecord,
  markDeleting,
  noEntryAt,
} from './dynamo-catalog-lifecycle.ts';
import { backoff, MAX_ATTEMPTS, putNew, registerEntries } from './dynamo-catalog-register.ts';
import { transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';

/** Entries read per Query: entries() and items() hold at most this page in memory. */
const ENTRY_PAGE = 100;
/** BatchGetItem takes at most 100 keys, so a listing page is at most that. */
const LISTING_MAX = 100;

const NewDatasetSpec = z.strictObject({
  ...DatasetSpec.shape,
  exceptionsOf: Name.optional(),
  outputsOf: Name.optional(),
});

const DatasetItem = z.object({
  datasetId: z.string(),
  description: z.string().optional(),
  secretArn: z.string().optional(),
  exceptionsOf: z.string().optional(),
  outputsOf: z.string().optional(),
  highId: z.number().int().min(0),
  createdAt: z.string(),
  state: z.literal('DELETING').optional(),
  lastAcceptedAt: z.string().optional(),
});

/**
 * The catalog on DynamoDB (layout in core/contracts/tables.ts): one META item per data set holding the id counter, one
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
  async createDataset(spec: NewDataset, at: string): Promise<Dataset> {
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
    const ctx = { doc: this.#doc, table: this.#table };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const out = await transact(ctx, [putNew(ctx, meta), putNew(ctx, listing)]);
      if (out.ok) return fromDatasetItem(meta);
      const old = out.reasons[0]?.item;
      const existing = old ? fromDatasetItem(old) : await this.getDataset(wanted.datasetId);
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
   * Hand out ids to new entries (core/adapters/dynamo-catalog-register.ts): in order, no hole, no overlap, one
   * counter write per transaction; a location already registered is skipped.
   */
  async register(datasetId: string, entries: readonly NewEntry[], at: string): Promise<RegisterResult> {
    return registerEntries(
      { doc: this.#doc, table: this.#table },
      (id) => this.#highIdOf(id),
      datasetId,
      entries,
      at,
    );
  }

  async #highIdOf(datasetId: string): Promise<number> {
    const dataset = await this.getDataset(datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId });
    if (dataset.state === 'DELETING') throw new DatasetDeletingError({ datasetId });
    return dataset.highId;
  }

  /** Lifecycle (core/adapters/dynamo-catalog-lifecycle.ts): the DELETING mark, deletion by pages, acceptance. */
  markDatasetDeleting(datasetId: string, at: string): Promise<void> {
    return markDeleting(this.#ctx, datasetId, at);
  }

  deleteDatasetPage(datasetId: string, limit: number): Promise<number> {
    return deletePage(this.#ctx, datasetId, limit);
  }

  deleteDatasetRecord(datasetId: string): Promise<void> {
    return deleteRecord(this.#ctx, datasetId);
  }

  async acceptEntry(
    datasetId: string,
    start: number,
    content: AcceptedContent,
    at: string,
  ): Promise<CatalogEntry> {
    await acceptEntry(this.#ctx, (id) => this.getDataset(id), datasetId, start, content, at);
    for await (const entry of this.entries(datasetId, start, start)) if (entry.start === start) return entry;
    throw noEntryAt(datasetId, start);
  }

  get #ctx() {
    return { doc: this.#doc, table: this.#table };
  }

  /** Entries overlapping [start, end], in id order, read consistently one page at a time. */
  entries(datasetId: string, start: number, end: number): AsyncIterable<CatalogEntry> {
    return this.#entryItems(datasetId, start, end, (raw) => fromEntryItem(datasetId, raw));
  }

  /** The entries without their weights: the same Queries, projected, so the weights are neither sent nor parsed. */
  descriptors(datasetId: string, start: number, end: number): AsyncIterable<EntryDescriptor> {
    return this.#entryItems(
      datasetId,
      start,
      end,
      (raw) => fromDescriptorItem(datasetId, raw),
      DESCRIPTOR_PROJECTION,
    );
  }

  async *#entryItems<T extends EntryDescriptor>(
    datasetId: string,
    start: number,
    end: number,
    read: (raw: Record<string, unknown>) => T,
    projection?: string,
  ): AsyncIterable<T> {
    checkRange(start, end);
    if (start > end) return;
    const containing = await this.#entryContaining(datasetId, start, read, projection);
    if (containing) yield containing;
    // Entries tile the ids: the next one starts after the containing one, and often none is needed.
    const from = containing ? containing.start + containing.count : start;
    if (from > end) return;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand(
          projected(projection, {
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
        ),
      );
      for (const raw of out.Items ?? []) yield read(raw);
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

  /** The entry whose range holds `id`, if any: the last entry starting at or before it. */
  async #entryContaining<T extends EntryDescriptor>(
    datasetId: string,
    id: number,
    read: (raw: Record<string, unknown>) => T,
    projection?: string,
  ): Promise<T | undefined> {
    const out = await this.#doc.send(
      new QueryCommand(
        projected(projection, {
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
      ),
    );
    const raw = out.Items?.[0];
    const entry = raw ? read(raw) : undefined;
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

function sameDataset(existing: Dataset, wanted: z.infer<typeof NewDatasetSpec>): Dataset {
  for (const field of ['secretArn', 'exceptionsOf', 'outputsOf'] as const) {
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

/** A Query with the projection, when there is one, its names aliased. */
const projected = <T extends object>(projection: string | undefined, input: T): T =>
  projection ? aliasNames({ ...input, ProjectionExpression: projection }) : input;
