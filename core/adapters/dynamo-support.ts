import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  DynamoDBDocumentClient,
  QueryCommandInput,
  TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { keys } from '../contracts/tables.ts';
import { LeaseLostError } from '../errors.ts';
import { type Clock, systemClock } from '../ports/index.ts';
import { aliasNames, aliasTransact } from './expression-names.ts';

/** What every inventory-table function needs. */
export interface InventoryCtx {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly exceptionsTable: string;
  readonly clock: Clock;
}

/** A fenced write that found the token or the lease changed: somebody else holds the batch now. */
export const leaseLost = (l: { jobId: string; start: number; token: number }, operation: string) =>
  new LeaseLostError({ jobId: l.jobId, batchStart: l.start, token: l.token, operation });

/** The clause every fenced write carries: our token, our lease, not yet expired. */
export const FENCE = 'token = :token AND leaseOwner = :owner AND leaseExpiresAt >= :now';

/** The most items one TransactWriteItems may carry. */
export const TRANSACT_MAX = 100;

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Why one item of a cancelled transaction failed, with the item as it was when asked for. */
export interface CancelReason {
  readonly code: string;
  readonly item?: Record<string, unknown>;
}

/** Outcome of a transaction: committed, or cancelled with one reason per item (in request order). */
export type TransactOutcome = { ok: true } | { ok: false; reasons: CancelReason[] };

/**
 * Run a transaction; a cancellation is an answer, not an exception. Other SDK errors propagate.
 * A TransactionConflict (another transaction on the same item) reads as a cancellation with that code.
 */
export async function transact(
  ctx: InventoryCtx | { doc: DynamoDBDocumentClient },
  items: TransactItem[],
): Promise<TransactOutcome> {
  try {
    await ctx.doc.send(new TransactWriteCommand(aliasTransact({ TransactItems: items })));
    return { ok: true };
  } catch (e) {
    const err = e as {
      name?: string;
      CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[];
    };
    if (err.name !== 'TransactionCanceledException') throw e;
    // The document client does not unmarshall errors: the items come as attribute values.
    const reasons = (err.CancellationReasons ?? []).map((r) => ({
      code: r.Code ?? 'None',
      item: plain(r.Item),
    }));
    return { ok: false, reasons };
  }
}

/** Cancellation codes that say DynamoDB was busy (another transaction on an item, throttling): try again. */
const BUSY_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

export const isBusy = (reasons: readonly CancelReason[]): boolean =>
  reasons.some((r) => BUSY_CODES.has(r.code));

/** The distinct codes of a cancelled transaction, for an error message. */
export const cancelCodes = (reasons: readonly CancelReason[]): string =>
  [...new Set(reasons.map((r) => r.code).filter((c) => c !== 'None'))].join(', ');

export const isConditionalCheckFailed = (e: unknown): e is { name: string; Item?: Record<string, unknown> } =>
  (e as { name?: string }).name === 'ConditionalCheckFailedException';

/** Item returned (ALL_OLD) with a ConditionalCheckFailedException, already unmarshalled by the caller. */
export function oldItemOf(e: unknown): Record<string, unknown> | undefined {
  return plain((e as { Item?: Record<string, unknown> }).Item);
}

function plain(item: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return item ? unmarshall(item as Record<string, AttributeValue>) : undefined;
}

/**
 * Page through a query, yielding items; never holds more than one page. With a FilterExpression, `filtered` is
 * told how many items of each page the filter left out.
 */
export async function* queryItems(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  filtered?: (n: number) => void,
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new QueryCommand(aliasNames({ ...input, ExclusiveStartKey: startKey })));
    filtered?.((out.ScannedCount ?? 0) - (out.Count ?? 0));
    for (const item of out.Items ?? []) yield item;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}

/** Items of a job's partition whose sort key starts with `prefix`, read consistently, page by page. */
export function jobItems(
  ctx: InventoryCtx,
  jobId: string,
  prefix: string,
): AsyncGenerator<Record<string, unknown>> {
  return queryItems(ctx.doc, {
    TableName: ctx.table,
    KeyConditionExpression: 'pk = :p AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':p': keys.jobPk(jobId), ':prefix': prefix },
    ConsistentRead: true,
  });
}

/** Delete keys with BatchWriteItem, retrying unprocessed ones with a short backoff. */
export async function deleteKeys(
  doc: DynamoDBDocumentClient,
  table: string,
  itemKeys: readonly Record<string, unknown>[],
): Promise<void> {
  for (let i = 0; i < itemKeys.length; i += 25) {
    let requests = itemKeys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let round = 0; requests.length > 0; round++) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
      if (requests.length > 0) await sleep(Math.min(1000, 20 * 2 ** round));
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Full-jitter backoff for optimistic retries. */
export const jitter = (attempt: number, baseMs = 5, capMs = 200) =>
  sleep(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));

export const iso = (ms: number) => new Date(ms).toISOString();

export interface DynamoInventoryProps {
  readonly doc: DynamoDBDocumentClient;
  /** The inventory table: jobs, batches, attempts, runs. */
  readonly table: string;
  /** The exceptions table: a commit writes its exceptions in the same transaction. */
  readonly exceptionsTable: string;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * What the inventory table's adapters share: each implements one port with conditional requests (or one
 * transaction) whose condition is the invariant it protects.
 * @example const jobs = new DynamoJobStore({ doc, table: names.inventory, exceptionsTable: names.exceptions });
 */
export abstract class DynamoInventoryAdapter {
  protected readonly ctx: InventoryCtx;

  constructor(props: DynamoInventoryProps) {
    this.ctx = {
      doc: props.doc,
      table: props.table,
      exceptionsTable: props.exceptionsTable,
      clock: props.clock ?? systemClock,
    };
  }
}
