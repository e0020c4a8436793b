import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import type { ReadLock, ReadLockInput } from '../ports/index.ts';
import { type InventoryCtx, isConditionalCheckFailed } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromBatchItem } from './inventory-records.ts';

const INVENTORY = { kind: 'inventory' } as const;

/** Lost races on one batch's lock before it is refused: each loss is another reader's win, so 10 covers 10 readers at once. */
const LOCK_TRIES = 10;

/**
 * The READY lock on DynamoDB, on the producer's batch record: `readers` counts the consumers holding it,
 * `readUntil` is the latest of their lease expiries, `readEpoch` names the lock since it was last taken anew
 * (every reader of a lapsed lock starts a new epoch, so a late release of a lapsed reader is refused).
 * DynamoDB has no max(): a reader raises `readUntil` only while it is still the value it read.
 */
export async function lockRead(ctx: InventoryCtx, input: ReadLockInput): Promise<ReadLock | undefined> {
  const { ref } = input;
  const Key = keys.batch(ref.jobId, INVENTORY, ref.start);
  for (let tries = 1; tries <= LOCK_TRIES; tries++) {
    const now = ctx.clock.now();
    const got = await ctx.doc.send(new GetCommand({ TableName: ctx.table, Key, ConsistentRead: true }));
    if (!got.Item) return undefined;
    const b = fromBatchItem(got.Item);
    const unchanged =
      b.status === 'SUCCEEDED' &&
      b.token === ref.token &&
      b.moveFrom === undefined &&
      !(b.leaseExpiresAt !== undefined && b.leaseExpiresAt >= now) &&
      (b.reservedBy === undefined || b.reservedBy === input.reservedBy || (b.reservedUntil ?? 0) < now);
    if (!unchanged) return undefined;
    const lapsed = (b.readUntil ?? 0) < now || (b.readers ?? 0) <= 0;
    const epoch = lapsed ? (b.readEpoch ?? 0) + 1 : (b.readEpoch ?? 0);
    const base =
      'token = :token AND #status = :succeeded AND attribute_not_exists(moveFrom)' +
      ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)' +
      (b.reservedBy === undefined ? ' AND attribute_not_exists(reservedBy)' : ' AND reservedBy = :reserved');
    const sameLock = b.readEpoch === undefined ? 'attribute_not_exists(readEpoch)' : 'readEpoch = :seenEpoch';
    const sameUntil =
      b.readUntil === undefined ? 'attribute_not_exists(readUntil)' : 'readUntil = :seenUntil';
    try {
      await ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            TableName: ctx.table,
            Key,
            UpdateExpression: lapsed
              ? 'SET readers = :one, readUntil = :until, readEpoch = :epoch'
              : 'SET readers = readers + :one, readUntil = :until',
            ConditionExpression: `${base} AND ${sameLock} AND ${sameUntil}`,
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':token': ref.token,
              ':succeeded': 'SUCCEEDED',
              ':now': now,
              ':one': 1,
              ':until': Math.max(input.until, b.readUntil ?? 0),
              ...(lapsed ? { ':epoch': epoch } : {}),
              ...(b.reservedBy === undefined ? {} : { ':reserved': b.reservedBy }),
              ...(b.readEpoch === undefined ? {} : { ':seenEpoch': b.readEpoch }),
              ...(b.readUntil === undefined ? {} : { ':seenUntil': b.readUntil }),
            },
          }),
        ),
      );
      return { jobId: ref.jobId, start: ref.start, epoch };
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }
  return undefined;
}

/** One reader fewer, in the epoch it locked in; a lock taken anew since is not touched. */
export async function releaseRead(ctx: InventoryCtx, lock: ReadLock): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: keys.batch(lock.jobId, INVENTORY, lock.start),
        UpdateExpression: 'SET readers = readers - :one',
        ConditionExpression: 'readEpoch = :epoch AND readers > :zero',
        ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':epoch': lock.epoch },
      }),
    );
  } catch (e) {
    if (!isConditionalCheckFailed(e)) throw e;
  }
}

/** The clause a producer's lease and split add: no consumer holds the batch's READY lock at `:now`. */
export const NOT_READ_LOCKED = '(attribute_not_exists(readers) OR readers < :readOne OR readUntil < :now)';
