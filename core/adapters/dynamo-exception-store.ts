import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { BY_STATUS_INDEX, keys } from '../contracts/tables.ts';
import { ExceptionNotFoundError, RetryableError, ValidationError } from '../errors.ts';
import type { ExceptionStatus, ItemException } from '../model.ts';
import type { ExceptionStore, NewException, Page, PageRequest } from '../ports/index.ts';
import { Id, Name, parse, Text } from '../validation.ts';
import { isConditionalCheckFailed } from './dynamo-support.ts';
import {
  EXCEPTION_SK_PREFIX,
  exceptionKey,
  fromExceptionItem,
  statusAttributes,
  toExceptionItem,
} from './exception-record.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';

const RequeueInput = z.object({ requeuedAs: z.strictObject({ datasetId: Name, id: Id }) });
const STATUSES: readonly ExceptionStatus[] = ['OPEN', 'RESOLVED', 'REQUEUED'];
/** Conditional puts of published exceptions in flight at once. */
const PUT_CONCURRENCY = 16;
/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_MAX = 25;
/** Rounds of retrying unprocessed deletes before the page gives up (the caller loops over pages anyway). */
const UNPROCESSED_ROUNDS = 8;

/**
 * Items set aside for review, on the exceptions table (layout in core/contracts/tables.ts). Records are written by the
 * inventory store inside its commit, or by this store once a commit with staged exceptions is in; this store
 * reads them and moves them out of OPEN, exactly once.
 * @example const exceptions = new DynamoExceptionStore({ doc: clients.doc, table: tables.exceptions });
 */
export class DynamoExceptionStore implements ExceptionStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: { readonly doc: DynamoDBDocumentClient; readonly table: string }) {
    this.#doc = props.doc;
    this.#table = props.table;
  }

  async putCommitted(
    jobId: string,
    runId: string,
    batchStart: number,
    exceptions: readonly NewException[],
    at: string,
  ): Promise<void> {
    const items = exceptions.map((x) => toExceptionItem(jobId, runId, batchStart, x, at));
    for (let i = 0; i < items.length; i += PUT_CONCURRENCY) {
      await Promise.all(items.slice(i, i + PUT_CONCURRENCY).map((item) => this.#putIfAbsent(item)));
    }
  }

  async #putIfAbsent(item: Record<string, unknown>): Promise<void> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  async get(jobId: string, exceptionId: string): Promise<ItemException | undefined> {
    const out = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: exceptionKey(jobId, exceptionId), ConsistentRead: true }),
    );
    return out.Item ? fromExceptionItem(out.Item) : undefined;
  }

  /**
   * A page of the job's exceptions in (item id, run) order: of one status through the byStatus index
   * (eventually consistent), or of every status from the table itself.
   */
  async list(
    jobId: string,
    status: ExceptionStatus | undefined,
    page: PageRequest = {},
  ): Promise<Page<ItemException>> {
    const limit = pageLimit(page.limit);
    const pk = keys.jobPk(jobId);
    const query =
      status === undefined
        ? {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :x)',
            ExpressionAttributeValues: { ':pk': pk, ':x': EXCEPTION_SK_PREFIX },
            ConsistentRead: true,
            ExclusiveStartKey: decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk } }),
          }
        : {
            IndexName: BY_STATUS_INDEX.indexName,
            KeyConditionExpression: `${BY_STATUS_INDEX.partitionKey} = :pk`,
            ExpressionAttributeValues: { ':pk': keys.exceptionStatusPk(jobId, checkStatus(status)) },
            ExclusiveStartKey: decodeCursor(page.next, {
              attributes: ['pk', 'sk', BY_STATUS_INDEX.partitionKey, BY_STATUS_INDEX.sortKey],
              fixed: { pk, [BY_STATUS_INDEX.partitionKey]: keys.exceptionStatusPk(jobId, status) },
            }),
          };
    const out = await this.#doc.send(new QueryCommand({ TableName: this.#table, Limit: limit, ...query }));
    return { items: (out.Items ?? []).map(fromExceptionItem), next: encodeCursor(out.LastEvaluatedKey) };
  }

  /** OPEN -> RESOLVED with a reviewer's note; any other status is refused, so a decision is never rewritten. */
  async resolve(jobId: string, exceptionId: string, note: string, at: string): Promise<ItemException> {
    const { note: text } = parse(z.object({ note: Text(1024) }), { note }, 'resolution');
    return this.#leaveOpen(jobId, exceptionId, 'resolve', 'RESOLVED', {
      set: 'note = :note, resolvedAt = :at',
      values: { ':note': text, ':at': at },
    });
  }

  /**
   * OPEN -> REQUEUED once the item was registered again as `requeuedAs`; `resolvedAt` records when it left
   * OPEN. Refused from any other status, so an item is fed back once.
   */
  async markRequeued(
    jobId: string,
    exceptionId: string,
    requeuedAs: { datasetId: string; id: number },
    at: string,
  ): Promise<ItemException> {
    const { requeuedAs: target } = parse(RequeueInput, { requeuedAs }, 'requeue');
    return this.#leaveOpen(jobId, exceptionId, 'requeue', 'REQUEUED', {
      set: 'requeuedAs = :as, resolvedAt = :at',
      values: { ':as': target, ':at': at },
    });
  }

  /** How many exceptions of the job are in each status, counted on the index (eventually consistent). */
  async counts(jobId: string): Promise<Record<ExceptionStatus, number>> {
    const counted = await Promise.all(STATUSES.map((s) => this.#count(jobId, s)));
    return { OPEN: counted[0] ?? 0, RESOLVED: counted[1] ?? 0, REQUEUED: counted[2] ?? 0 };
  }

  /** Delete up to `limit` exceptions of the job, whatever their status; returns how many went. */
  async deletePage(jobId: string, limit: number): Promise<number> {
    const out = await this.#doc.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :x)',
        ExpressionAttributeValues: { ':pk': keys.jobPk(jobId), ':x': EXCEPTION_SK_PREFIX },
        ProjectionExpression: 'pk, sk',
        Limit: pageLimit(limit),
        ConsistentRead: true,
      }),
    );
    const itemKeys = out.Items ?? [];
    for (let i = 0; i < itemKeys.length; i += BATCH_WRITE_MAX) {
      await this.#deleteKeys(itemKeys.slice(i, i + BATCH_WRITE_MAX));
    }
    return itemKeys.length;
  }

  async #leaveOpen(
    jobId: string,
    exceptionId: string,
    action: 'resolve' | 'requeue',
    status: Exclude<ExceptionStatus, 'OPEN'>,
    change: { set: string; values: Record<string, unknown> },
  ): Promise<ItemException> {
    const key = exceptionKey(jobId, exceptionId);
    const moved = statusAttributes(jobId, key.sk, status);
    try {
      const out = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: `SET #status = :status, statusPk = :statusPk, ${change.set}`,
          // stillOpen: a reviewed exception keeps its first decision; exists: never create a record here.
          ConditionExpression: 'attribute_exists(pk) AND #status = :open',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ...change.values,
            ':status': status,
            ':statusPk': moved.statusPk,
            ':open': 'OPEN',
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return fromExceptionItem(out.Attributes);
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      const old = (e as { Item?: Record<string, AttributeValue> }).Item;
      if (!old) throw new ExceptionNotFoundError({ jobId, exceptionId });
      const current = fromExceptionItem(unmarshall(old)).status;
      throw new ValidationError([{ field: 'status', rule: `must be OPEN to ${action} (is ${current})` }], {
        cause: e,
        what: `exception ${exceptionId}`,
      });
    }
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

  async #deleteKeys(itemKeys: readonly Record<string, unknown>[]): Promise<void> {
    let requests = itemKeys.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    for (let round = 0; requests.length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS) {
        throw new RetryableError(
          `DynamoDB left ${requests.length} deletes unprocessed after ${round} rounds`,
          {
            context: { table: this.#table, unprocessed: requests.length },
          },
        );
      }
      if (round > 0) await backoff(round);
      const out = await this.#doc.send(new BatchWriteCommand({ RequestItems: { [this.#table]: requests } }));
      requests = (out.UnprocessedItems?.[this.#table] ?? []) as typeof requests;
    }
  }
}

function checkStatus(status: ExceptionStatus): ExceptionStatus {
  if (STATUSES.includes(status)) return status;
  throw new ValidationError([{ field: 'status', rule: `must be one of ${STATUSES.join(', ')}` }]);
}

/** Exponential backoff with full jitter for unprocessed batch writes (the table is throttling). */
const backoff = (round: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(1000, 25 * 2 ** round)));
