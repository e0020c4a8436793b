import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, OPEN_INDEX, pad } from '../contracts/tables.ts';
import type { Batch, BatchScope } from '../model.ts';
import type { BatchStore, LeaseFilter, NewBatch } from '../ports/index.ts';
import { DynamoInventoryAdapter, isConditionalCheckFailed, queryItems } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromBatchItem, openPkOf, toNewBatchItem } from './inventory-records.ts';

/** Stale runs named in one condition: DynamoDB allows 100 operands in an IN list. */
const STALE_MAX = 90;

/**
 * The condition that a batch is free to be reserved by `:run` at `:now`: not reserved, reserved by this run,
 * expired, or reserved by one of the runs known to be finished. With the values of its placeholders.
 */
export function freeToReserve(staleRuns: readonly string[]): {
  clause: string;
  values: Record<string, string>;
} {
  const stale = staleRuns.slice(0, STALE_MAX);
  const named = stale.length > 0 ? ` OR reservedBy IN (${stale.map((_, i) => `:s${i}`).join(', ')})` : '';
  return {
    clause: `(attribute_not_exists(reservedBy) OR reservedBy = :run OR reservedUntil < :now${named})`,
    values: Object.fromEntries(stale.map((r, i) => [`:s${i}`, r])),
  };
}

/** BatchStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoBatchStore extends DynamoInventoryAdapter implements BatchStore {
  /** Create a sample run's batches, apart from the inventory; a batch that exists already is kept as it is. */
  async putSampleBatches(
    jobId: string,
    runId: string,
    batches: readonly NewBatch[],
    at: string,
  ): Promise<void> {
    const scope: BatchScope = { kind: 'sample', runId };
    for (const b of batches) {
      try {
        await this.ctx.doc.send(
          new PutCommand(
            aliasNames({
              TableName: this.ctx.table,
              Item: toNewBatchItem({ jobId, scope, ...b, plannedAt: at }),
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        );
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
      }
    }
  }

  async reopenStale(
    jobId: string,
    batch: Pick<Batch, 'start' | 'token' | 'consumed'>,
    staleFrom: string,
    now: number,
  ): Promise<boolean> {
    const scope = { kind: 'inventory' } as const;
    try {
      await this.ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            TableName: this.ctx.table,
            Key: keys.batch(jobId, scope, batch.start),
            UpdateExpression: 'SET #status = :pending, openPk = :openPk, openSk = :openSk, staleFrom = :why',
            ConditionExpression:
              '#status = :succeeded AND token = :token AND consumed = :consumed' +
              ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'PENDING',
              ':succeeded': 'SUCCEEDED',
              ':openPk': openPkOf(jobId, scope),
              ':openSk': pad(batch.start),
              ':why': staleFrom,
              ':token': batch.token,
              ':consumed': batch.consumed ?? '',
              ':now': now,
            },
          }),
        ),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  /** Reserve an existing batch for a run: refused under a live lease or another live run's reservation. */
  async reserveExisting(
    jobId: string,
    start: number,
    runId: string,
    reservedUntil: number,
    now: number,
    staleRuns: readonly string[],
  ): Promise<boolean> {
    const free = freeToReserve(staleRuns);
    try {
      await this.ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            TableName: this.ctx.table,
            Key: keys.batch(jobId, { kind: 'inventory' }, start),
            UpdateExpression: 'SET reservedBy = :run, reservedUntil = :until',
            ConditionExpression:
              'attribute_exists(pk)' +
              // Never touch a range under a live lease, nor one whose output move is pending.
              ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now) AND attribute_not_exists(moveFrom)' +
              // Nor one another live run has reserved.
              ` AND ${free.clause}`,
            ExpressionAttributeValues: {
              ':run': runId,
              ':until': reservedUntil,
              ':now': now,
              ...free.values,
            },
          }),
        ),
      );
      return true;
    } catch (e) {
      if (isConditionalCheckFailed(e)) return false;
      throw e;
    }
  }

  async getBatch(jobId: string, scope: BatchScope, start: number): Promise<Batch | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand(
        aliasNames({ TableName: this.ctx.table, Key: keys.batch(jobId, scope, start), ConsistentRead: true }),
      ),
    );
    return out.Item ? fromBatchItem(out.Item) : undefined;
  }

  /** Batches with start in [from, to], in id order, paged. */
  async *list(jobId: string, scope: BatchScope, from = 0, to = Number.MAX_SAFE_INTEGER) {
    const prefix = keys.batchPrefix(scope);
    for await (const item of queryItems(this.ctx.doc, {
      TableName: this.ctx.table,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':p': keys.jobPk(jobId),
        ':a': `${prefix}${pad(from)}`,
        ':b': `${prefix}${pad(to)}`,
      },
      ConsistentRead: true,
    })) {
      yield fromBatchItem(item);
    }
  }

  /** The batch whose range contains `id`, if any. */
  async batchContaining(jobId: string, id: number): Promise<Batch | undefined> {
    const prefix = keys.batchPrefix({ kind: 'inventory' });
    for await (const item of queryItems(this.ctx.doc, {
      TableName: this.ctx.table,
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :a AND :b',
      ExpressionAttributeValues: {
        ':p': keys.jobPk(jobId),
        ':a': `${prefix}${pad(0)}`,
        ':b': `${prefix}${pad(id)}`,
      },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    })) {
      const b = fromBatchItem(item);
      return b.end >= id ? b : undefined;
    }
    return undefined;
  }

  /**
   * Batches not yet SUCCEEDED (the sparse `open` index; eventually consistent, so callers re-check). With `free`,
   * batches under a lease live at `free.now` are left out by the query itself (a plan would skip them anyway,
   * and a job with a run in flight has many), and `free.leased` is told how many.
   */
  async *openBatches(jobId: string, free?: LeaseFilter) {
    for await (const item of queryItems(
      this.ctx.doc,
      {
        TableName: this.ctx.table,
        IndexName: OPEN_INDEX.indexName,
        KeyConditionExpression: 'openPk = :p',
        ...(free && { FilterExpression: 'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now' }),
        ExpressionAttributeValues: {
          ':p': openPkOf(jobId, { kind: 'inventory' }),
          ...(free && { ':now': free.now }),
        },
      },
      free?.leased,
    )) {
      yield fromBatchItem(item);
    }
  }

  async findLiveLease(jobId: string): Promise<Batch | undefined> {
    const now = this.ctx.clock.now();
    for (const openPk of [openPkOf(jobId, { kind: 'inventory' }), `${keys.openPk(jobId)}#S`]) {
      for await (const item of queryItems(this.ctx.doc, {
        TableName: this.ctx.table,
        IndexName: OPEN_INDEX.indexName,
        KeyConditionExpression: 'openPk = :p',
        FilterExpression: 'leaseExpiresAt > :now',
        ExpressionAttributeValues: { ':p': openPk, ':now': now },
      })) {
        return fromBatchItem(item);
      }
    }
    return undefined;
  }
}
