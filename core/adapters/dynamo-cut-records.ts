import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import { ContentionError, JobDeletingError, JobNotFoundError } from '../errors.ts';
import type { CutStore, NewBatch, NewCut } from '../ports/index.ts';
import { parse } from '../validation.ts';
import { DynamoJobStore } from './dynamo-job-records.ts';
import {
  cancelCodes,
  DynamoInventoryAdapter,
  type InventoryCtx,
  isBusy,
  jitter,
  jobItems,
  TRANSACT_MAX,
  type TransactItem,
  transact,
} from './dynamo-support.ts';
import { toNewBatchItem } from './inventory-records.ts';

/** Batches one cut may hold: creating them takes the transaction's other slot to drop the cut record. */
export const CUT_MAX = TRANSACT_MAX - 1;

const CREATE_TRIES = 5;

function createItems(ctx: InventoryCtx, cut: NewCut): TransactItem[] {
  return [
    {
      Delete: {
        TableName: ctx.table,
        Key: keys.cut(cut.jobId, cut.from),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    ...cut.batches.map((b) => ({
      Put: {
        TableName: ctx.table,
        Item: toNewBatchItem({
          jobId: cut.jobId,
          scope: { kind: 'inventory' },
          ...b,
          plannedAt: cut.at,
          reservedBy: cut.runId,
          reservedUntil: cut.reservedUntil,
        }),
        // Mutual exclusion: a range is created once.
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    })),
  ];
}

/** The cut record is gone: another planner created it, or a deletion removed it (then the job says so). */
async function cutGone(ctx: InventoryCtx, cut: NewCut): Promise<void> {
  const job = await new DynamoJobStore(ctx).getJob(cut.jobId);
  if (!job) throw new JobNotFoundError({ jobId: cut.jobId });
  if (job.state === 'DELETING') throw new JobDeletingError({ jobId: cut.jobId });
}

function checkCut(cut: NewCut): void {
  if (cut.batches.length === 0 || cut.batches.length > CUT_MAX)
    throw new RangeError(`a cut holds 1-${CUT_MAX} batches`);
  if (cut.batches[0]?.start !== cut.from) throw new RangeError('a cut starts at its first batch');
}

const endOf = (cut: NewCut) => (cut.batches[cut.batches.length - 1] as NewBatch).end;

/** Batches are kept as [start, end, stride, count, weight]: 99 of them stay a small item. */
function toCutItem(cut: NewCut): Record<string, unknown> {
  return {
    ...keys.cut(cut.jobId, cut.from),
    kind: 'cut',
    jobId: cut.jobId,
    from: cut.from,
    runId: cut.runId,
    reservedUntil: cut.reservedUntil,
    at: cut.at,
    batches: cut.batches.map((b) => [b.start, b.end, b.stride, b.count, b.weight]),
  };
}

const CutItem = z.object({
  jobId: z.string(),
  from: z.number().int(),
  runId: z.string(),
  reservedUntil: z.number(),
  at: z.string(),
  batches: z
    .array(z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int(), z.number()]))
    .min(1),
});

function fromCutItem(raw: Record<string, unknown>): NewCut {
  const item = parse(CutItem, raw, 'cut record');
  return {
    jobId: item.jobId,
    from: item.from,
    runId: item.runId,
    reservedUntil: item.reservedUntil,
    at: item.at,
    batches: item.batches.map(([start, end, stride, count, weight]) => ({
      start,
      end,
      stride,
      count,
      weight,
    })),
  };
}

/** CutStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoCutStore extends DynamoInventoryAdapter implements CutStore {
  /**
   * Step one of reserving new ranges: move the watermark from `from` to the end of the cut and record the cut, in
   * one small transaction. Concurrent planners race on the watermark clause; exactly one wins, and a planner that
   * lost has spent two item writes, not a transaction of a hundred. Returns false when another planner moved the
   * watermark first.
   */
  async cutNew(cut: NewCut): Promise<boolean> {
    checkCut(cut);
    const out = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table,
          Key: keys.job(cut.jobId),
          UpdateExpression: 'SET watermark = :to',
          // Tiling: only the planner that read this watermark may extend it, and never for a job being deleted.
          ConditionExpression: 'watermark = :from AND #state = :active',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':to': endOf(cut) + 1, ':from': cut.from, ':active': 'ACTIVE' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      // The watermark clause makes `from` unique: no other cut can have this key.
      { Put: { TableName: this.ctx.table, Item: toCutItem(cut) } },
    ]);
    if (out.ok) return true;
    const job = out.reasons[0];
    if (job?.code === 'ConditionalCheckFailed') {
      if (!job.item) throw new JobNotFoundError({ jobId: cut.jobId });
      if (job.item.state === 'DELETING') throw new JobDeletingError({ jobId: cut.jobId });
    }
    return false;
  }

  /**
   * Step two: create the cut's batches, reserved for the run that cut them, and drop the cut record, in one
   * transaction. Nobody else races for these ranges, except a planner finishing the cut of a dead one: the cut
   * record's clause lets exactly one of them create the batches, both the same way. Finding the cut already
   * gone is therefore success, unless the job is being deleted (the deletion removed the cut, so nothing of it
   * is created after the deletion passed).
   */
  async createCut(cut: NewCut): Promise<void> {
    checkCut(cut);
    for (let attempt = 1; ; attempt++) {
      const out = await transact(this.ctx, createItems(this.ctx, cut));
      if (out.ok) return;
      if (out.reasons[0]?.code === 'ConditionalCheckFailed') return cutGone(this.ctx, cut);
      // DynamoDB saw another transaction on one of these items (the planner finishing this cut for a dead one).
      if (!isBusy(out.reasons) || attempt >= CREATE_TRIES) {
        const operation = `create cut (cancelled: ${cancelCodes(out.reasons)})`;
        throw new ContentionError({ jobId: cut.jobId, operation, attempts: attempt });
      }
      await jitter(attempt);
    }
  }

  /**
   * Create the cut recorded at `from`, if it still is: the workers of a run whose Plan left its later cuts to
   * them call this ahead of the Map, and when a batch's record is missing. A cut already created, or removed by a
   * deletion, leaves nothing to do here (the batch's own record then says which).
   */
  async finishCut(jobId: string, from: number): Promise<void> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.table, Key: keys.cut(jobId, from), ConsistentRead: true }),
    );
    if (out.Item) await this.createCut(fromCutItem(out.Item));
  }

  /** Cuts recorded and not yet created: each one's planner is still at it, or died between the two steps. */
  async *pendingCuts(jobId: string): AsyncGenerator<NewCut> {
    for await (const item of jobItems(this.ctx, jobId, 'N#')) yield fromCutItem(item);
  }
}
