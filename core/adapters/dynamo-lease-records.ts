import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, pad } from '../contracts/tables.ts';
import type { Batch } from '../model.ts';
import {
  type AcquireInput,
  type AcquirePolicy,
  type AcquireResult,
  expiredAttemptOf,
  type HeartbeatInput,
  type LeaseStore,
  type ReadLock,
  type ReadLockInput,
  readLocked,
} from '../ports/index.ts';
import { DynamoBatchStore } from './dynamo-batch-records.ts';
import { lockRead, NOT_READ_LOCKED, releaseRead } from './dynamo-read-locks.ts';
import {
  DynamoInventoryAdapter,
  FENCE,
  type InventoryCtx,
  isConditionalCheckFailed,
  iso,
  leaseLost,
  oldItemOf,
  transact,
} from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromBatchItem, openPkOf, toAttemptItem } from './inventory-records.ts';

const POLICY_CLAUSE: Record<AcquirePolicy, string> = {
  'skip-succeeded': '#status <> :succeeded',
  'redo-unless-same-run': 'NOT (#status = :succeeded AND completedRunId = :run)',
};

/** Races lost to other workers taking over the same dead lease before acquire answers BUSY. */
const TAKEOVER_TRIES = 3;

/** The update that grants the lease: the token and the attempt number grow by one. */
function grantUpdate(ctx: InventoryCtx, input: AcquireInput, now: number) {
  return {
    TableName: ctx.table,
    Key: keys.batch(input.jobId, input.scope, input.start),
    UpdateExpression:
      'SET #status = :running, leaseOwner = :owner, leaseRunId = :run, leaseExpiresAt = :exp, startedAt = :at,' +
      ' openPk = :openPk, openSk = :openSk ADD token :one, attempt :one',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':running': 'RUNNING',
      ':owner': input.owner,
      ':run': input.runId,
      ':exp': now + input.leaseMs,
      ':at': iso(now),
      ':now': now,
      ':one': 1,
      ':openPk': openPkOf(input.jobId, input.scope),
      ':openSk': pad(input.start),
    },
  };
}

/**
 * Take over the batch of a dead worker, as it was read: the lease and the dead attempt's record in one
 * transaction. Undefined when another worker changed the batch first.
 */
async function takeOver(
  ctx: InventoryCtx,
  input: AcquireInput,
  dead: Batch,
  now: number,
): Promise<AcquireResult | undefined> {
  const grant = grantUpdate(ctx, input, now);
  const out = await transact(ctx, [
    {
      Update: {
        ...grant,
        ConditionExpression:
          'token = :token AND #status = :running AND attribute_not_exists(moveFrom)' +
          ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
        ExpressionAttributeValues: { ...grant.ExpressionAttributeValues, ':token': dead.token },
      },
    },
    {
      Put: {
        TableName: ctx.table,
        Item: toAttemptItem(expiredAttemptOf(input.jobId, input.scope, dead, now)),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
  if (!out.ok) return undefined;
  const batch = await new DynamoBatchStore(ctx).getBatch(input.jobId, input.scope, input.start);
  if (!batch) return { outcome: 'MISSING' };
  return {
    outcome: 'ACQUIRED',
    token: batch.token,
    attempt: batch.attempt,
    startedAt: now,
    batch,
    tookOverFrom: dead.leaseOwner ?? '',
  };
}

/** LeaseStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoLeaseStore extends DynamoInventoryAdapter implements LeaseStore {
  /**
   * Take the lease: one conditional update that bumps the fencing token and the attempt number, when no lease
   * is live. A batch left RUNNING by a worker that died is taken over in one transaction with the dead attempt's
   * LEASE_EXPIRED record, so the history never misses it whatever crashes when.
   */
  async acquire(input: AcquireInput): Promise<AcquireResult> {
    for (let tries = 1; ; tries++) {
      const now = this.ctx.clock.now();
      const grant = grantUpdate(this.ctx, input, now);
      try {
        const out = await this.ctx.doc.send(
          new UpdateCommand(
            aliasNames({
              ...grant,
              ExpressionAttributeValues: {
                ...grant.ExpressionAttributeValues,
                ':succeeded': 'SUCCEEDED',
                ':readOne': 1,
              },
              ConditionExpression:
                'attribute_exists(pk)' +
                // Mutual exclusion: no live lease of anyone; a dead worker's batch is taken over below.
                ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now) AND #status <> :running' +
                // Not while the output of the batch it was split from is being moved into its own object.
                ' AND attribute_not_exists(moveFrom)' +
                // Not while consumers read its output (the READY lock).
                ` AND ${NOT_READ_LOCKED}` +
                ` AND ${POLICY_CLAUSE[input.policy]}`,
              ReturnValues: 'ALL_NEW',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        const batch = fromBatchItem(out.Attributes ?? {});
        return { outcome: 'ACQUIRED', token: batch.token, attempt: batch.attempt, startedAt: now, batch };
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
        const old = oldItemOf(e);
        // No record: what that means (a cut left to the workers, or no such batch) is the planner's call.
        if (!old) return { outcome: 'MISSING' };
        const batch = fromBatchItem(old);
        const live = batch.leaseExpiresAt !== undefined && batch.leaseExpiresAt >= now;
        if (live || batch.moveFrom !== undefined || readLocked(batch, now)) return { outcome: 'BUSY', batch };
        if (batch.status !== 'RUNNING') return { outcome: 'ALREADY_DONE', batch };
        const taken = await takeOver(this.ctx, input, batch, now);
        if (taken) return taken;
        if (tries >= TAKEOVER_TRIES) return { outcome: 'BUSY', batch };
      }
    }
  }

  lockRead(input: ReadLockInput): Promise<ReadLock | undefined> {
    return lockRead(this.ctx, input);
  }

  releaseRead(lock: ReadLock): Promise<void> {
    return releaseRead(this.ctx, lock);
  }

  async heartbeat(input: HeartbeatInput): Promise<void> {
    const now = this.ctx.clock.now();
    try {
      await this.ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            TableName: this.ctx.table,
            Key: keys.batch(input.jobId, input.scope, input.start),
            UpdateExpression: 'SET leaseExpiresAt = :exp',
            ConditionExpression: FENCE,
            ExpressionAttributeValues: {
              ':exp': now + input.leaseMs,
              ':token': input.token,
              ':owner': input.owner,
              ':now': now,
            },
          }),
        ),
      );
    } catch (e) {
      if (isConditionalCheckFailed(e)) throw leaseLost(input, 'heartbeat');
      throw e;
    }
  }
}
