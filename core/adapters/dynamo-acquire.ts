import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, pad } from '../contracts/tables.ts';
import { BatchNotFoundError } from '../errors.ts';
import type { Batch, BatchScope } from '../model.ts';
import type { AcquirePolicy, AcquireResult } from '../ports.ts';
import { getBatch } from './dynamo-batch-records.ts';
import { finishCut } from './dynamo-cut-records.ts';
import { type InventoryCtx, isConditionalCheckFailed, iso, oldItemOf, transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromBatchItem, openPkOf, toAttemptItem } from './inventory-records.ts';

export interface AcquireInput {
  jobId: string;
  scope: BatchScope;
  start: number;
  owner: string;
  runId: string;
  leaseMs: number;
  policy: AcquirePolicy;
  /** The recorded cut the batch belongs to, when its Plan left the cut for the run's workers to create. */
  cut?: number;
}

const POLICY_CLAUSE: Record<AcquirePolicy, string> = {
  'skip-succeeded': '#status <> :succeeded',
  'redo-unless-same-run': 'NOT (#status = :succeeded AND completedRunId = :run)',
};

/** Races lost to other workers taking over the same dead lease before acquire answers BUSY. */
const TAKEOVER_TRIES = 3;

/**
 * Take the lease: one conditional update that bumps the fencing token and the attempt number, when no lease
 * is live. A batch left RUNNING by a worker that died is taken over in one transaction with the dead attempt's
 * LEASE_EXPIRED record, so the history never misses it whatever crashes when.
 */
export async function acquire(ctx: InventoryCtx, input: AcquireInput): Promise<AcquireResult> {
  let cut = input.cut;
  for (let tries = 1; ; tries++) {
    const now = ctx.clock.now();
    const grant = grantUpdate(ctx, input, now);
    try {
      const out = await ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            ...grant,
            ExpressionAttributeValues: { ...grant.ExpressionAttributeValues, ':succeeded': 'SUCCEEDED' },
            ConditionExpression:
              'attribute_exists(pk)' +
              // Mutual exclusion: no live lease of anyone; a dead worker's batch is taken over below.
              ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now) AND #status <> :running' +
              // Not while the output of the batch it was split from is being moved into its own object.
              ' AND attribute_not_exists(moveFrom)' +
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
      if (!old && cut !== undefined) {
        // Not created yet: its Plan left the cut to the run's workers. Create it and ask again, once.
        await finishCut(ctx, input.jobId, cut);
        cut = undefined;
        continue;
      }
      if (!old)
        throw new BatchNotFoundError({
          jobId: input.jobId,
          batchStart: input.start,
          scope: input.scope.kind,
        });
      const batch = fromBatchItem(old);
      const live = batch.leaseExpiresAt !== undefined && batch.leaseExpiresAt >= now;
      if (live || batch.moveFrom !== undefined) return { outcome: 'BUSY', batch };
      if (batch.status !== 'RUNNING') return { outcome: 'ALREADY_DONE', batch };
      const taken = await takeOver(ctx, input, batch, now);
      if (taken) return taken;
      if (tries >= TAKEOVER_TRIES) return { outcome: 'BUSY', batch };
    }
  }
}

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
  const prevOwner = dead.leaseOwner ?? '';
  const startedAt = dead.startedAt ?? iso(now);
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
        Item: toAttemptItem({
          jobId: input.jobId,
          scope: input.scope,
          start: dead.start,
          end: dead.end,
          attempt: dead.attempt,
          runId: dead.leaseRunId ?? '',
          owner: prevOwner,
          token: dead.token,
          startedAt,
          endedAt: iso(now),
          outcome: 'LEASE_EXPIRED',
          configHash: dead.configHash ?? 'unknown',
          itemsSucceeded: 0,
          itemsExcepted: 0,
          durationMs: Math.max(0, now - Date.parse(startedAt)),
          error: { name: 'LeaseExpired', message: `lease of ${prevOwner} expired before it committed` },
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ]);
  if (!out.ok) return undefined;
  const batch = await getBatch(ctx, input.jobId, input.scope, input.start);
  if (!batch)
    throw new BatchNotFoundError({ jobId: input.jobId, batchStart: input.start, scope: input.scope.kind });
  return {
    outcome: 'ACQUIRED',
    token: batch.token,
    attempt: batch.attempt,
    startedAt: now,
    batch,
    tookOverFrom: prevOwner,
  };
}
