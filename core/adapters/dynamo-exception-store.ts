import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BY_STATUS_INDEX, keys, pad } from '../contracts/tables.ts';
import { ValidationError } from '../errors.ts';
import {
  EXCEPTION_STATUSES,
  type ExceptionOccurrence,
  type ExceptionStatus,
  type ItemException,
} from '../model.ts';
import type {
  Decision,
  DecisionOutcome,
  ExceptionQuery,
  ExceptionStore,
  NewException,
  OccurrenceRef,
  Page,
  PageRequest,
} from '../ports/index.ts';
import {
  decidePage,
  decisionUpdate,
  type ExceptionTable,
  publishOccurrence,
  supersedeOne,
} from './dynamo-exception-writes.ts';
import { deleteKeys, queryItems } from './dynamo-support.ts';
import {
  exceptionKey,
  fromExceptionItem,
  fromOccurrenceItem,
  occurrenceIdOf,
  occurrenceWrites,
} from './exception-record.ts';
import { aliasNames } from './expression-names.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';

/** Occurrences published at once, one small transaction each. */
const PUT_CONCURRENCY = 16;
/** Decisions per transaction: each is conditional, and a cancelled transaction is retried without the losers. */
const DECIDE_PAGE = 50;
/** Decision transactions in flight at once. */
const DECIDE_CONCURRENCY = 4;
/** Exceptions closed as superseded at once. */
const SUPERSEDE_CONCURRENCY = 16;

/**
 * Items set aside for review, on the exceptions table (layout in core/contracts/tables.ts): one record per
 * (job, item) and one per occurrence. Occurrences are written by the commit store inside its commit, or by this
 * store once a commit with staged exceptions is in; this store reads records and moves them out of OPEN, once.
 * @example const exceptions = new DynamoExceptionStore({ doc: clients.doc, table: tables.exceptions });
 */
export class DynamoExceptionStore implements ExceptionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  readonly #t: ExceptionTable;

  constructor(props: { readonly doc: DynamoDBDocumentClient; readonly table: string }) {
    this.#doc = props.doc;
    this.#table = props.table;
    this.#t = { doc: props.doc, table: props.table };
  }

  async putCommitted(ref: OccurrenceRef, exceptions: readonly NewException[], at: string): Promise<void> {
    const writes = exceptions.map((x) => occurrenceWrites(ref, x, at));
    for (let i = 0; i < writes.length; i += PUT_CONCURRENCY) {
      await Promise.all(writes.slice(i, i + PUT_CONCURRENCY).map((w) => publishOccurrence(this.#t, w, at)));
    }
  }

  async get(jobId: string, exceptionId: string): Promise<ItemException | undefined> {
    const out = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: exceptionKey(jobId, exceptionId).key,
        ConsistentRead: true,
      }),
    );
    return out.Item ? fromExceptionItem(out.Item) : undefined;
  }

  /**
   * A page of exceptions in item order: of one status of the job's queue through the byStatus index
   * (eventually consistent), otherwise from the table itself (consistent), an id range in the key condition.
   */
  async list(jobId: string, query: ExceptionQuery, page: PageRequest = {}): Promise<Page<ItemException>> {
    const limit = pageLimit(page.limit);
    const pk = keys.jobPk(jobId);
    const q = checkQuery(query);
    const scope = q.sampleRunId
      ? { kind: 'sample' as const, runId: q.sampleRunId }
      : { kind: 'inventory' as const };
    const prefix = keys.exceptionPrefix(scope);
    const low = `${prefix}${pad(q.from ?? 0)}`;
    const high = `${prefix}${q.to === undefined ? '9'.repeat(16) : pad(q.to)}`;
    const byIndex = q.status !== undefined && q.sampleRunId === undefined;
    const status = q.status;
    const request = byIndex
      ? {
          IndexName: BY_STATUS_INDEX.indexName,
          KeyConditionExpression: `${BY_STATUS_INDEX.partitionKey} = :pk AND ${BY_STATUS_INDEX.sortKey} BETWEEN :low AND :high`,
          ExpressionAttributeValues: {
            ':pk': keys.exceptionStatusPk(jobId, status as ExceptionStatus),
            ':low': low,
            ':high': high,
          },
          ExclusiveStartKey: decodeCursor(page.next, {
            attributes: ['pk', 'sk', BY_STATUS_INDEX.partitionKey, BY_STATUS_INDEX.sortKey],
            fixed: {
              pk,
              [BY_STATUS_INDEX.partitionKey]: keys.exceptionStatusPk(jobId, status as ExceptionStatus),
            },
          }),
        }
      : {
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':low': low,
            ':high': high,
            ...(status ? { ':status': status } : {}),
          },
          ...(status ? { FilterExpression: 'status = :status' } : {}),
          ConsistentRead: true,
          ExclusiveStartKey: decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk } }),
        };
    const out = await this.#doc.send(
      new QueryCommand(aliasNames({ TableName: this.#table, Limit: limit, ...request })),
    );
    return { items: (out.Items ?? []).map(fromExceptionItem), next: encodeCursor(out.LastEvaluatedKey) };
  }

  async occurrences(jobId: string, exceptionId: string): Promise<ExceptionOccurrence[]> {
    const { scope, itemId } = exceptionKey(jobId, exceptionId);
    const out: ExceptionOccurrence[] = [];
    for await (const item of queryItems(this.#doc, {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.jobPk(jobId),
        ':prefix': keys.occurrencePrefix(scope, itemId),
      },
      ConsistentRead: true,
    }))
      out.push(fromOccurrenceItem(item));
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  async decide(
    jobId: string,
    decisions: readonly (Decision & { seen?: string })[],
    at: string,
  ): Promise<DecisionOutcome> {
    // Every decision is checked before any is sent.
    const updates = decisions.map((d) => decisionUpdate(this.#table, jobId, d, at));
    const outcome: DecisionOutcome = { moved: [], taken: [] };
    const pages: (typeof updates)[] = [];
    for (let i = 0; i < updates.length; i += DECIDE_PAGE) pages.push(updates.slice(i, i + DECIDE_PAGE));
    for (let i = 0; i < pages.length; i += DECIDE_CONCURRENCY) {
      const done = await Promise.all(
        pages.slice(i, i + DECIDE_CONCURRENCY).map((p) => decidePage(this.#t, p)),
      );
      for (const d of done) {
        outcome.moved.push(...d.moved);
        outcome.taken.push(...d.taken);
      }
    }
    return outcome;
  }

  /** How many exceptions of the job's queue are in each status, counted on the index (eventually consistent). */
  async counts(jobId: string): Promise<Record<ExceptionStatus, number>> {
    const counted = await Promise.all(EXCEPTION_STATUSES.map((s) => this.#count(jobId, s)));
    return Object.fromEntries(EXCEPTION_STATUSES.map((s, i) => [s, counted[i] ?? 0])) as Record<
      ExceptionStatus,
      number
    >;
  }

  async hasOpen(jobId: string, start: number, end: number): Promise<boolean> {
    for await (const _ of this.#openIn(jobId, start, end, 'itemId')) return true;
    return false;
  }

  async supersede(by: OccurrenceRef, end: number, at: string): Promise<number> {
    const mine = occurrenceIdOf(by);
    const due: { itemId: number; seen: string }[] = [];
    for await (const item of this.#openIn(by.jobId, by.start, end, 'itemId, lastOccurrence, lastSeenAt')) {
      if (item.lastOccurrence !== mine && String(item.lastSeenAt) <= at)
        due.push({ itemId: Number(item.itemId), seen: String(item.lastOccurrence) });
    }
    let closed = 0;
    for (let i = 0; i < due.length; i += SUPERSEDE_CONCURRENCY) {
      const done = await Promise.all(
        due.slice(i, i + SUPERSEDE_CONCURRENCY).map((d) => supersedeOne(this.#t, by, d, at)),
      );
      closed += done.filter(Boolean).length;
    }
    return closed;
  }

  /** OPEN records of the job's queue in [start, end], read consistently from the table. */
  #openIn(jobId: string, start: number, end: number, projection: string) {
    const prefix = keys.exceptionPrefix({ kind: 'inventory' });
    return queryItems(this.#doc, {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      FilterExpression: 'status = :open',
      ProjectionExpression: projection,
      ExpressionAttributeValues: {
        ':pk': keys.jobPk(jobId),
        ':low': `${prefix}${pad(start)}`,
        ':high': `${prefix}${pad(end)}`,
        ':open': 'OPEN',
      },
      ConsistentRead: true,
    });
  }

  /** Delete up to `limit` exception records and occurrences of the job, whatever their status. */
  async deletePage(jobId: string, limit: number): Promise<number> {
    const out = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :x)',
        ExpressionAttributeValues: { ':pk': keys.jobPk(jobId), ':x': 'X' },
        ProjectionExpression: 'pk, sk',
        Limit: pageLimit(limit),
        ConsistentRead: true,
      }),
    );
    const itemKeys = out.Items ?? [];
    await deleteKeys(this.#doc, this.#table, itemKeys);
    return itemKeys.length;
  }

  async #count(jobId: string, status: ExceptionStatus): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: BY_STATUS_INDEX.indexName,
          KeyConditionExpression: `${BY_STATUS_INDEX.partitionKey} = :pk`,
          ExpressionAttributeValues: { ':pk': keys.exceptionStatusPk(jobId, status) },
          Select: 'COUNT',
          ExclusiveStartKey: startKey,
        }),
      );
      total += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return total;
  }
}

function checkQuery(query: ExceptionQuery): ExceptionQuery {
  const q = query ?? {};
  if (q.status !== undefined && !EXCEPTION_STATUSES.includes(q.status)) {
    throw new ValidationError([{ field: 'status', rule: `must be one of ${EXCEPTION_STATUSES.join(', ')}` }]);
  }
  return q;
}
