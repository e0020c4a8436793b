import { keys } from '../contracts/tables.ts';
import { ContentionError } from '../errors.ts';
import type { Batch } from '../model.ts';
import type {
  NewBatch,
  OutputMove,
  SplitRecord,
  SplitRequest,
  SplitStore,
  TimeWindow,
} from '../ports/index.ts';
import { freeToReserve } from './dynamo-batch-records.ts';
import { NOT_READ_LOCKED } from './dynamo-read-locks.ts';
import { DynamoInventoryAdapter, jobItems, type TransactOutcome, transact } from './dynamo-support.ts';
import { toNewBatchItem } from './inventory-records.ts';
import { windowItems } from './time-window.ts';

/**
 * What a new part of a split batch keeps: its status and the config and run that completed it. Its output
 * object and counts are its own, set when the move records them.
 */
function inheritedAttributes(b: Batch): Record<string, unknown> {
  const keep: Record<string, unknown> = { status: b.status, attempt: b.attempt, token: b.token };
  for (const k of ['completedAt', 'completedRunId', 'configHash', 'error', 'startedAt'] as const) {
    if (b[k] !== undefined) keep[k] = b[k];
  }
  if (b.status === 'SUCCEEDED') Object.assign(keep, { openPk: undefined, openSk: undefined });
  return keep;
}

const partKey = (move: OutputMove, start: number) => keys.batch(move.jobId, { kind: 'inventory' }, start);

/** A move step cancelled by its condition was done by another planner already; anything else is an error. */
function settled(out: TransactOutcome, { jobId, from }: OutputMove): void {
  if (out.ok || out.reasons.some((r) => r.code === 'ConditionalCheckFailed')) return;
  throw new ContentionError({ jobId, operation: `moving the output of split batch ${from}`, attempts: 1 });
}

/** SplitStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoSplitStore extends DynamoInventoryAdapter implements SplitStore {
  /**
   * Replace a batch by parts that tile it, in one transaction: the first part keeps the batch's key (updated in
   * place), the others are new, all are reserved for the splitting run and marked with the output move, which is
   * recorded beside them (see core/planning/split-outputs.ts). The batch must be unchanged since it was read (token and
   * end), without a live lease, a live reservation of another run, or a move still pending.
   */
  async splitBatch(r: SplitRequest): Promise<boolean> {
    const { batch, parts } = r;
    const [first, ...rest] = parts;
    if (!first || first.start !== batch.start || (parts[parts.length - 1] as NewBatch).end !== batch.end) {
      throw new RangeError('split parts must tile the batch');
    }
    const free = freeToReserve(r.staleRuns);
    const origin = `${batch.start}-${batch.end}`;
    const marks = {
      splitFrom: origin,
      moveFrom: r.outputKey,
      reservedBy: r.runId,
      reservedUntil: r.reservedUntil,
    };
    const out = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table,
          Key: keys.batch(r.jobId, batch.scope, batch.start),
          UpdateExpression:
            'SET #end = :end, #count = :count, weight = :w, splitFrom = :from, moveFrom = :move,' +
            ' reservedBy = :run, reservedUntil = :until REMOVE outputKey, itemsSucceeded, itemsExcepted',
          ConditionExpression:
            'token = :token AND #end = :oldEnd AND attribute_not_exists(moveFrom)' +
            ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)' +
            ` AND ${NOT_READ_LOCKED} AND ${free.clause}`,
          ExpressionAttributeNames: { '#end': 'end', '#count': 'count' },
          ExpressionAttributeValues: {
            ':end': first.end,
            ':count': first.count,
            ':w': first.weight,
            ':from': origin,
            ':move': r.outputKey,
            ':run': r.runId,
            ':until': r.reservedUntil,
            ':token': batch.token,
            ':oldEnd': batch.end,
            ':now': r.now,
            ':readOne': 1,
            ...free.values,
          },
        },
      },
      ...rest.map((p) => ({
        Put: {
          TableName: this.ctx.table,
          Item: {
            ...toNewBatchItem({ jobId: r.jobId, scope: batch.scope, ...p, plannedAt: batch.plannedAt }),
            ...inheritedAttributes(batch),
            ...marks,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      })),
      {
        Put: {
          TableName: this.ctx.table,
          Item: {
            ...keys.history(r.jobId, r.at, batch.start),
            kind: 'split',
            from: origin,
            parts: parts.map((p) => [p.start, p.end]),
            at: r.at,
          },
        },
      },
      {
        Put: {
          TableName: this.ctx.table,
          Item: {
            ...keys.move(r.jobId, batch.start, batch.end),
            kind: 'move',
            from: r.outputKey,
            succeeded: batch.status === 'SUCCEEDED',
            parts: parts.map((p) => [p.start, p.end]),
            runId: r.runId,
            at: r.at,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    return out.ok;
  }

  /** H#<iso time>#<start> records: their keys are in time order, so the window is a key range. */
  async *listSplits(jobId: string, window: TimeWindow = {}): AsyncIterable<SplitRecord> {
    for await (const item of windowItems(this.ctx, jobId, 'H#', window, true)) {
      if (item.kind !== 'split') continue;
      const [start, end] = String(item.from).split('-').map(Number) as [number, number];
      const parts = (item.parts as [number, number][]).map(([s, e]) => [Number(s), Number(e)] as const);
      yield { jobId, at: String(item.at), from: { start, end }, parts };
    }
  }

  /** Moves not yet finished: usually none, so one Query that reads nothing. */
  async pendingMoves(jobId: string): Promise<OutputMove[]> {
    const moves: OutputMove[] = [];
    for await (const item of jobItems(this.ctx, jobId, 'M#')) {
      moves.push({
        jobId,
        from: String(item.from),
        succeeded: item.succeeded === true,
        parts: (item.parts as [number, number][]).map(([s, e]) => [Number(s), Number(e)] as const),
        runId: String(item.runId),
      });
    }
    return moves;
  }

  /** Every part names its own object and counts, in one transaction, while the move is still pending. */
  async recordMovedOutputs(
    move: OutputMove,
    outputs: readonly { outputKey: string; itemsSucceeded: number }[],
  ): Promise<void> {
    if (outputs.length !== move.parts.length) throw new RangeError('one output per part of the move');
    const out = await transact(
      this.ctx,
      move.parts.map(([start], i) => ({
        Update: {
          TableName: this.ctx.table,
          Key: partKey(move, start),
          // Every item of a committed batch is an output line or an exception: the rest were set aside.
          UpdateExpression: 'SET outputKey = :key, itemsSucceeded = :ok, itemsExcepted = #count - :ok',
          ConditionExpression: 'moveFrom = :from',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':key': outputs[i]?.outputKey,
            ':ok': outputs[i]?.itemsSucceeded,
            ':from': move.from,
          },
        },
      })),
    );
    settled(out, move);
  }

  /** The parts are released and the move record removed, in one transaction. */
  async finishMove(move: OutputMove): Promise<void> {
    const [start, end] = [move.parts[0]?.[0] as number, move.parts[move.parts.length - 1]?.[1] as number];
    const out = await transact(this.ctx, [
      ...move.parts.map(([partStart]) => ({
        Update: {
          TableName: this.ctx.table,
          Key: partKey(move, partStart),
          UpdateExpression: 'REMOVE moveFrom, reservedBy, reservedUntil',
          ConditionExpression: 'moveFrom = :from',
          ExpressionAttributeValues: { ':from': move.from },
        },
      })),
      { Delete: { TableName: this.ctx.table, Key: keys.move(move.jobId, start, end) } },
    ]);
    settled(out, move);
  }
}
