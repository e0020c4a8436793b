import { BY_RUN_INDEX, keys } from '../contracts/tables.ts';
import type { Attempt, BatchScope } from '../model.ts';
import type { AttemptStore } from '../ports/index.ts';
import { DynamoBatchStore } from './dynamo-batch-records.ts';
import {
  DynamoInventoryAdapter,
  type InventoryCtx,
  iso,
  jobItems,
  queryItems,
  transact,
} from './dynamo-support.ts';
import { fromAttemptItem, toAttemptItem } from './inventory-records.ts';

/** A worker that died without a word (timeout, out of memory): fail its attempt if the run still holds it. */
async function failAbandonedAttempt(
  ctx: InventoryCtx,
  input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  },
  read: {
    token: number;
    owner: string;
    attempt: number;
    end: number;
    startedAt: string;
    configHash?: string;
  },
): Promise<boolean> {
  const now = ctx.clock.now();
  const attempt: Attempt = {
    jobId: input.jobId,
    scope: input.scope,
    start: input.start,
    end: read.end,
    attempt: read.attempt,
    runId: input.runId,
    owner: read.owner,
    token: read.token,
    startedAt: read.startedAt,
    endedAt: iso(now),
    outcome: 'FAILED',
    configHash: read.configHash ?? 'unknown',
    itemsSucceeded: 0,
    itemsExcepted: 0,
    durationMs: Math.max(0, now - Date.parse(read.startedAt)),
    error: input.error,
  };
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(input.jobId, input.scope, input.start),
        UpdateExpression:
          'SET #status = :failed, #error = :msg, failedAt = :at REMOVE leaseOwner, leaseRunId, leaseExpiresAt',
        // Only the attempt that was read: a newer owner (higher token) is never disturbed.
        ConditionExpression: 'token = :token AND leaseRunId = :run AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':running': 'RUNNING',
          ':msg': `${input.error.name}: ${input.error.message}`.slice(0, 2000),
          ':at': iso(now),
          ':token': read.token,
          ':run': input.runId,
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
  return out.ok;
}

/** AttemptStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoAttemptStore extends DynamoInventoryAdapter implements AttemptStore {
  async failAbandoned(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  }): Promise<boolean> {
    const b = await new DynamoBatchStore(this.ctx).getBatch(input.jobId, input.scope, input.start);
    if (b?.status !== 'RUNNING' || b.leaseRunId !== input.runId || !b.leaseOwner) return false;
    const read = {
      token: b.token,
      owner: b.leaseOwner,
      attempt: b.attempt,
      end: b.end,
      startedAt: b.startedAt ?? b.plannedAt,
      configHash: b.configHash,
    };
    return failAbandonedAttempt(this.ctx, input, read);
  }

  /** Attempts of one batch (or every batch of the scope), oldest first. */
  async *list(jobId: string, scope: BatchScope, start?: number) {
    const head = keys.attempt(jobId, scope, start ?? 0, 0, 0).sk.split('#');
    // A#I#<start>#... or A#S#<run>#<start>#...: cut after the scope (and the start when one is given).
    const scopeParts = scope.kind === 'inventory' ? 2 : 3;
    const prefix = `${head.slice(0, scopeParts + (start === undefined ? 0 : 1)).join('#')}#`;
    for await (const item of jobItems(this.ctx, jobId, prefix)) {
      yield fromAttemptItem(item);
    }
  }

  /** Attempts of one run, from the sparse byRun index. */
  async *runAttempts(jobId: string, runId: string) {
    for await (const item of queryItems(this.ctx.doc, {
      TableName: this.ctx.table,
      IndexName: BY_RUN_INDEX.indexName,
      KeyConditionExpression: 'runPk = :p',
      ExpressionAttributeValues: { ':p': keys.runPk(jobId, runId) },
    })) {
      yield fromAttemptItem(item);
    }
  }
}
