import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { LeaseLostError } from '../errors.ts';
import type { BatchScope } from '../model.ts';
import {
  COMMIT_EXCEPTIONS_MAX,
  type CommitInput,
  type FailInput,
  type LeaseRef,
  type NewException,
} from '../ports.ts';
import { attemptOf } from './dynamo-attempt-records.ts';
import { publishItem } from './dynamo-publish-records.ts';
import { type InventoryCtx, isConditionalCheckFailed, iso, transact } from './dynamo-support.ts';
import { toExceptionItem } from './exception-record.ts';
import { aliasNames } from './expression-names.ts';
import { toAttemptItem } from './inventory-records.ts';

/** The clause every fenced write carries: our token, our lease, not yet expired. */
const FENCE = 'token = :token AND leaseOwner = :owner AND leaseExpiresAt >= :now';

export async function heartbeat(
  ctx: InventoryCtx,
  input: { jobId: string; scope: BatchScope; start: number; token: number; owner: string; leaseMs: number },
): Promise<void> {
  const now = ctx.clock.now();
  try {
    await ctx.doc.send(
      new UpdateCommand(
        aliasNames({
          TableName: ctx.table,
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
    if (isConditionalCheckFailed(e)) throw lost(input, 'heartbeat');
    throw e;
  }
}

const lost = (l: { jobId: string; start: number; token: number }, operation: string) =>
  new LeaseLostError({ jobId: l.jobId, batchStart: l.start, token: l.token, operation });

function exceptionPuts(
  ctx: InventoryCtx,
  l: LeaseRef & { runId: string },
  list: readonly NewException[],
  at: string,
) {
  return list.map((x) => ({
    Put: { TableName: ctx.exceptionsTable, Item: toExceptionItem(l.jobId, l.runId, l.start, x, at) },
  }));
}

export async function commit(ctx: InventoryCtx, c: CommitInput): Promise<void> {
  if (c.exceptions.length > COMMIT_EXCEPTIONS_MAX)
    throw new RangeError(`a commit carries at most ${COMMIT_EXCEPTIONS_MAX} exceptions; stage the rest`);
  const now = ctx.clock.now();
  const attempt = attemptOf(c, 'SUCCEEDED', now, {
    itemsSucceeded: c.itemsSucceeded,
    itemsExcepted: c.itemsExcepted,
  });
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(c.jobId, c.scope, c.start),
        UpdateExpression:
          'SET #status = :succeeded, completedAt = :at, completedRunId = :run, configHash = :hash,' +
          ` itemsSucceeded = :ok, itemsExcepted = :ex${c.outputKey ? ', outputKey = :out' : ''}` +
          ` REMOVE leaseOwner, leaseRunId, leaseExpiresAt, openPk, openSk, #error, reservedBy, reservedUntil${c.outputKey ? '' : ', outputKey'}`,
        ConditionExpression: FENCE,
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':succeeded': 'SUCCEEDED',
          ':at': iso(now),
          ':run': c.runId,
          ':hash': c.configHash,
          ':ok': c.itemsSucceeded,
          ':ex': c.itemsExcepted,
          ':out': c.outputKey,
          ':token': c.token,
          ':owner': c.owner,
          ':now': now,
        },
      },
    },
    {
      Put: {
        TableName: ctx.table,
        Item: toAttemptItem(attempt),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...exceptionPuts(ctx, c, c.exceptions, iso(now)),
    ...(c.staged ? [{ Put: { TableName: ctx.table, Item: publishItem(c, c.staged) } }] : []),
  ]);
  if (!out.ok) throw lost(c, 'commit');
}

/** Fail (or give back for a retry): fenced like commit; the attempt is logged with its error. */
export async function fail(ctx: InventoryCtx, f: FailInput): Promise<void> {
  const now = ctx.clock.now();
  const attempt = attemptOf(f, f.outcome, now, { error: f.error });
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(f.jobId, f.scope, f.start),
        UpdateExpression:
          'SET #status = :failed, #error = :msg, failedAt = :at REMOVE leaseOwner, leaseRunId, leaseExpiresAt',
        ConditionExpression: FENCE,
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':msg': `${f.error.name}: ${f.error.message}`.slice(0, 2000),
          ':at': iso(now),
          ':token': f.token,
          ':owner': f.owner,
          ':now': now,
        },
      },
    },
    {
      Put: {
        TableName: ctx.table,
        Item: toAttemptItem(attempt),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
  if (!out.ok) throw lost(f, f.outcome === 'RETRY' ? 'release for retry' : 'fail');
}
