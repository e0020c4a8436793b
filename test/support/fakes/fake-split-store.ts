import { keys, skRange } from '../../../core/contracts/tables.ts';
import type { Batch, BatchScope } from '../../../core/model.ts';
import type {
  NewBatch,
  OutputMove,
  SplitRecord,
  SplitRequest,
  SplitStore,
  TimeWindow,
} from '../../../core/ports/index.ts';
import { readLocked } from '../../../core/ports/index.ts';
import {
  batchOf,
  type FakeContext,
  freeToReserve,
  leaseLive,
  newBatch,
  putBatch,
  recordsUnder,
} from './fake-records.ts';
import { copy, omit } from './fake-table.ts';

const INVENTORY: BatchScope = { kind: 'inventory' };

/** What a new part keeps of the batch as the planner read it: its status, and what completed it. */
function inherited(b: Batch): Partial<Batch> {
  const keep: Partial<Batch> = { status: b.status, attempt: b.attempt, token: b.token };
  for (const k of ['completedAt', 'completedRunId', 'configHash', 'error', 'startedAt'] as const) {
    if (b[k] !== undefined) Object.assign(keep, { [k]: b[k] });
  }
  return keep;
}

/**
 * SplitStore in memory, with DynamoSplitStore's rules: a split is refused unless the batch is as it was read
 * (token and end), without a live lease, a pending move, or another live run's reservation; the parts carry
 * `moveFrom` until the move is finished, and each step of the move is a no-op once a part is no longer marked.
 */
export class FakeSplitStore implements SplitStore {
  constructor(private readonly ctx: FakeContext) {}

  async splitBatch(r: SplitRequest): Promise<boolean> {
    const { batch, parts } = r;
    const [first, ...rest] = parts;
    if (!first || first.start !== batch.start || (parts[parts.length - 1] as NewBatch).end !== batch.end) {
      throw new RangeError('split parts must tile the batch');
    }
    const t = this.ctx.tables;
    const stored = batchOf(t, r.jobId, batch.scope, batch.start);
    const unchanged =
      stored !== undefined &&
      stored.token === batch.token &&
      stored.end === batch.end &&
      stored.moveFrom === undefined &&
      !leaseLive(stored, r.now) &&
      !readLocked(stored, r.now) &&
      freeToReserve(stored, r.runId, r.now, r.staleRuns);
    const partsFree = rest.every((p) => !batchOf(t, r.jobId, batch.scope, p.start));
    const moveKey = keys.move(r.jobId, batch.start, batch.end);
    if (!unchanged || !partsFree || t.inventory.has(moveKey)) return false;

    const origin = `${batch.start}-${batch.end}`;
    const marks = {
      splitFrom: origin,
      moveFrom: r.outputKey,
      reservedBy: r.runId,
      reservedUntil: r.reservedUntil,
    };
    const kept = omit(stored, 'outputKey', 'itemsSucceeded', 'itemsExcepted');
    putBatch(t, { ...kept, end: first.end, count: first.count, weight: first.weight, ...marks });
    for (const p of rest)
      putBatch(t, { ...newBatch(r.jobId, batch.scope, p, batch.plannedAt), ...inherited(batch), ...marks });
    const spans = parts.map((p) => [p.start, p.end] as const);
    t.inventory.put(keys.history(r.jobId, r.at, batch.start), { kind: 'split', from: origin, parts: spans });
    const move: OutputMove = {
      jobId: r.jobId,
      from: r.outputKey,
      succeeded: batch.status === 'SUCCEEDED',
      parts: spans,
      runId: r.runId,
    };
    t.inventory.put(moveKey, { kind: 'move', move });
    return true;
  }

  /** H#<iso time>#<start> records within the window's key range, in key (time) order or reversed. */
  async *listSplits(jobId: string, window: TimeWindow = {}): AsyncIterable<SplitRecord> {
    const [lo, hi] = skRange('H#', window, true);
    const rows = this.ctx.tables.inventory.between(keys.jobPk(jobId), lo, hi);
    if (window.newestFirst) rows.reverse();
    for (const [sk, r] of rows) {
      if (r.kind !== 'split') continue;
      const [start, end] = r.from.split('-').map(Number) as [number, number];
      const at = sk.slice(2, sk.lastIndexOf('#'));
      yield { jobId, at, from: { start, end }, parts: r.parts.map(([s, e]) => [s, e] as const) };
    }
  }

  async pendingMoves(jobId: string): Promise<OutputMove[]> {
    return recordsUnder(this.ctx.tables, jobId, 'M#', 'move').map((m) => copy(m.move));
  }

  async recordMovedOutputs(
    move: OutputMove,
    outputs: readonly { outputKey: string; itemsSucceeded: number }[],
  ): Promise<void> {
    if (outputs.length !== move.parts.length) throw new RangeError('one output per part of the move');
    const parts = this.#markedParts(move);
    parts?.forEach((b, i) => {
      const out = outputs[i] as { outputKey: string; itemsSucceeded: number };
      putBatch(this.ctx.tables, {
        ...b,
        outputKey: out.outputKey,
        itemsSucceeded: out.itemsSucceeded,
        itemsExcepted: b.count - out.itemsSucceeded,
      });
    });
  }

  async finishMove(move: OutputMove): Promise<void> {
    const parts = this.#markedParts(move);
    if (!parts) return;
    for (const b of parts) putBatch(this.ctx.tables, omit(b, 'moveFrom', 'reservedBy', 'reservedUntil'));
    const [start, end] = [move.parts[0]?.[0] as number, move.parts[move.parts.length - 1]?.[1] as number];
    this.ctx.tables.inventory.delete(keys.move(move.jobId, start, end));
  }

  /** Every part, when every one is still marked with this move; undefined (nothing to do) otherwise. */
  #markedParts(move: OutputMove): Batch[] | undefined {
    const parts = move.parts.map(([start]) => batchOf(this.ctx.tables, move.jobId, INVENTORY, start));
    return parts.every((b) => b?.moveFrom === move.from) ? (parts as Batch[]) : undefined;
  }
}
