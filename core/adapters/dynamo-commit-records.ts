import { keys } from '../contracts/tables.ts';
import {
  attemptOf,
  batchCommitted,
  COMMIT_EXCEPTIONS_MAX,
  type CommitInput,
  type CommitRecorded,
  type CommitStore,
  type FailInput,
  type LeaseRef,
  type NewException,
  publishOf,
} from '../ports/index.ts';
import { eventPuts } from './dynamo-event-log.ts';
import { publishItem } from './dynamo-publish-records.ts';
import {
  DynamoInventoryAdapter,
  FENCE,
  type InventoryCtx,
  iso,
  leaseLost,
  transact,
} from './dynamo-support.ts';
import { occurrenceWrites } from './exception-record.ts';
import { toAttemptItem } from './inventory-records.ts';

/** Each exception of the commit: its occurrence, and the update of the item's record (created or reopened). */
function exceptionWrites(
  ctx: InventoryCtx,
  l: LeaseRef & { runId: string },
  list: readonly NewException[],
  at: string,
) {
  return list.flatMap((x) => {
    const w = occurrenceWrites(l, x, at);
    return [
      { Put: { TableName: ctx.exceptionsTable, Item: w.occurrence } },
      { Update: { TableName: ctx.exceptionsTable, ...w.record } },
    ];
  });
}

/** CommitStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoCommitStore extends DynamoInventoryAdapter implements CommitStore {
  async commit(c: CommitInput): Promise<CommitRecorded> {
    if (c.exceptions.length > COMMIT_EXCEPTIONS_MAX)
      throw new RangeError(`a commit carries at most ${COMMIT_EXCEPTIONS_MAX} exceptions; stage the rest`);
    const now = this.ctx.clock.now();
    const publish = publishOf(c, iso(now));
    const event = batchCommitted(c, iso(now));
    const attempt = attemptOf(c, 'SUCCEEDED', now, {
      itemsSucceeded: c.itemsSucceeded,
      itemsExcepted: c.itemsExcepted,
    });
    const out = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table,
          Key: keys.batch(c.jobId, c.scope, c.start),
          UpdateExpression:
            'SET #status = :succeeded, completedAt = :at, completedRunId = :run, configHash = :hash,' +
            ` itemsSucceeded = :ok, itemsExcepted = :ex${c.outputKey ? ', outputKey = :out' : ''}` +
            `${c.consumed ? ', consumed = :consumed' : ''}` +
            ' REMOVE leaseOwner, leaseRunId, leaseExpiresAt, openPk, openSk, #error, reservedBy, reservedUntil,' +
            ` staleFrom${c.outputKey ? '' : ', outputKey'}${c.consumed ? '' : ', consumed'}`,
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
            ':consumed': c.consumed,
            ':token': c.token,
            ':owner': c.owner,
            ':now': now,
          },
        },
      },
      {
        Put: {
          TableName: this.ctx.table,
          Item: toAttemptItem(attempt),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...exceptionWrites(this.ctx, c, c.exceptions, iso(now)),
      ...(publish ? [{ Put: { TableName: this.ctx.table, Item: publishItem(publish) } }] : []),
      // The commit's event, in the job's log and pending for the bus: there is one if and only if the commit is.
      ...eventPuts(event).map((Item) => ({ Put: { TableName: this.ctx.table, Item } })),
    ]);
    if (!out.ok) throw leaseLost(c, 'commit');
    return publish ? { event, publish } : { event };
  }

  /** Fail (or give back for a retry): fenced like commit; the attempt is logged with its error. */
  async fail(f: FailInput): Promise<void> {
    const now = this.ctx.clock.now();
    const attempt = attemptOf(f, f.outcome, now, { error: f.error });
    const out = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table,
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
          TableName: this.ctx.table,
          Item: toAttemptItem(attempt),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (!out.ok) throw leaseLost(f, f.outcome === 'RETRY' ? 'release for retry' : 'fail');
  }
}
