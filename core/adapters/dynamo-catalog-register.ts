import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { ContentionError, ValidationError } from '../errors.ts';
import type { NewEntry, RegisterResult } from '../ports/index.ts';
import { MAX_ID } from '../validation.ts';
import { planTransactions, toEntryItem, toLocationItem, validateEntries } from './catalog-entries.ts';
import { type CancelReason, cancelCodes, isBusy, type TransactItem, transact } from './dynamo-support.ts';

// Registration into the catalog table: ids handed out by the data set's counter, in the same transactions as
// the entries and their location markers. dynamo-catalog-store.ts holds the rest of the catalog.

/** What the catalog's functions need. */
export interface CatalogCtx {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
}

/** The data set's id counter, read consistently; DatasetNotFoundError when there is no such data set. */
type HighIdOf = (datasetId: string) => Promise<number>;

/** Optimistic attempts on the id counter before giving up with a ContentionError. */
export const MAX_ATTEMPTS = 16;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Placed = { entry: NewEntry; start: number };

/**
 * Hand out ids to new entries, in order, with no hole and no overlap. Each transaction reads the counter,
 * then moves it only if it still holds what was read, in the same TransactWriteItems as the entries and their
 * location markers: either all of that is written or none of it. A transaction carries at most 49 entries
 * (100 items: the counter plus an entry and a marker each), so a larger call runs several transactions, one
 * counter write each; the ids of one call are then contiguous per transaction, not across them.
 * A location already registered (even by a concurrent call) is skipped, not registered twice.
 */
export async function registerEntries(
  ctx: CatalogCtx,
  highIdOf: HighIdOf,
  datasetId: string,
  entries: readonly NewEntry[],
  at: string,
): Promise<RegisterResult> {
  const { fresh, duplicates } = validateEntries(entries);
  const result = { registered: 0, skippedLocations: duplicates, highId: 0 } as Mutable<RegisterResult>;
  if (fresh.length === 0) result.highId = await highIdOf(datasetId);
  for (const group of planTransactions(fresh)) {
    const done = await registerGroup(ctx, highIdOf, datasetId, group, at);
    if (done.firstId !== undefined) result.firstId ??= done.firstId;
    if (done.lastId !== undefined) result.lastId = done.lastId;
    result.registered += done.registered;
    result.skippedLocations.push(...done.skipped);
    result.highId = done.highId;
  }
  return result;
}

async function registerGroup(
  ctx: CatalogCtx,
  highIdOf: HighIdOf,
  datasetId: string,
  group: readonly NewEntry[],
  at: string,
) {
  let pending = group;
  const skipped: string[] = [];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; ) {
    const highId = await highIdOf(datasetId);
    if (pending.length === 0) return { registered: 0, skipped, highId };
    const placed = assignIds(pending, highId);
    const newHigh = highId + placed.reduce((n, p) => n + p.entry.count, 0);
    const out = await transact(ctx, registerItems(ctx, datasetId, placed, { old: highId, new: newHigh }, at));
    if (out.ok) {
      return { firstId: highId + 1, lastId: newHigh, registered: placed.length, skipped, highId: newHigh };
    }
    // Items are [counter, entry 0, marker 0, entry 1, marker 1, ...]: a failed marker names a known location.
    const taken = pending.filter((_, i) => out.reasons[2 + 2 * i]?.code === 'ConditionalCheckFailed');
    skipped.push(...taken.map((e) => e.location));
    pending = pending.filter((e) => !taken.includes(e));
    if (isContention(out.reasons)) await backoff(attempt++);
    else if (taken.length === 0) throw unexpected(datasetId, out.reasons, attempt);
  }
  throw new ContentionError({ jobId: datasetId, operation: 'register', attempts: MAX_ATTEMPTS });
}

function registerItems(
  ctx: CatalogCtx,
  datasetId: string,
  placed: readonly Placed[],
  highId: { readonly old: number; readonly new: number },
  at: string,
): TransactItem[] {
  const counter: TransactItem = {
    Update: {
      TableName: ctx.table,
      Key: keys.dataset(datasetId),
      UpdateExpression: 'SET highId = :new',
      // counterUnchanged: nobody handed out ids since we read highId, so ours start right after it;
      // notDeleting: once a delete has marked the data set, no entry lands behind its pages.
      ConditionExpression: 'attribute_exists(pk) AND highId = :old AND attribute_not_exists(state)',
      ExpressionAttributeValues: { ':new': highId.new, ':old': highId.old },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  const writes = placed.flatMap(({ entry, start }) => [
    putNew(ctx, toEntryItem(datasetId, start, entry, at)),
    putNew(ctx, toLocationItem(datasetId, entry.location, start, at)),
  ]);
  return [counter, ...writes];
}

/** A Put that never overwrites: an entry's ids, a location or a data set are written once. */
export function putNew(ctx: CatalogCtx, item: Record<string, unknown>): TransactItem {
  return {
    Put: {
      TableName: ctx.table,
      Item: item,
      // notYetWritten: the key is new; otherwise the old item comes back with the cancellation.
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

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
function isContention(reasons: readonly CancelReason[]): boolean {
  return reasons[0]?.code === 'ConditionalCheckFailed' || isBusy(reasons);
}

function unexpected(datasetId: string, reasons: readonly CancelReason[], attempts: number): ContentionError {
  return new ContentionError({
    jobId: datasetId,
    operation: `register (cancelled: ${cancelCodes(reasons)})`,
    attempts,
  });
}

/** Full jitter: racing registrars spread out instead of colliding again in lockstep. */
export const backoff = (attempt: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
