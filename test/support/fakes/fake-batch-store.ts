import type { Batch, BatchScope } from '../../../core/model.ts';
import type { BatchStore, LeaseFilter, NewBatch } from '../../../core/ports/index.ts';
import {
  batchesOf,
  batchOf,
  type FakeContext,
  freeToReserve,
  isOpen,
  leaseLive,
  newBatch,
  putBatch,
  recordsUnder,
} from './fake-records.ts';
import { copy } from './fake-table.ts';

const INVENTORY: BatchScope = { kind: 'inventory' };

/**
 * BatchStore in memory, with DynamoBatchStore's rules: the open-batch query holds what is not SUCCEEDED (the
 * sparse index) and, with a LeaseFilter, leaves out and counts what is under a live lease; a reservation is
 * refused under a live lease, a pending output move, or another live run's reservation.
 */
export class FakeBatchStore implements BatchStore {
  constructor(private readonly ctx: FakeContext) {}

  /** The first lease live now (strictly before its expiry, as the adapter's filter), inventory first. */
  async findLiveLease(jobId: string): Promise<Batch | undefined> {
    const now = this.ctx.clock.now();
    const samples = recordsUnder(this.ctx.tables, jobId, 'S#', 'batch')
      .map((r) => r.batch)
      .sort((a, b) => a.start - b.start);
    for (const open of [this.#inventory(jobId), samples]) {
      const live = open.find((b) => isOpen(b) && b.leaseExpiresAt !== undefined && b.leaseExpiresAt > now);
      if (live) return copy(live);
    }
    return undefined;
  }

  async getBatch(jobId: string, scope: BatchScope, start: number): Promise<Batch | undefined> {
    const batch = batchOf(this.ctx.tables, jobId, scope, start);
    return batch && copy(batch);
  }

  async *list(
    jobId: string,
    scope: BatchScope,
    from = 0,
    to = Number.MAX_SAFE_INTEGER,
  ): AsyncIterable<Batch> {
    // As DynamoDB refuses a BETWEEN whose bounds are the wrong way round.
    if (from > to) throw new RangeError(`list: from ${from} is past to ${to}`);
    for (const b of batchesOf(this.ctx.tables, jobId, scope, from, to)) yield copy(b);
  }

  async *openBatches(jobId: string, free?: LeaseFilter): AsyncIterable<Batch> {
    const open = this.#inventory(jobId).filter(isOpen);
    const kept = free ? open.filter((b) => !leaseLive(b, free.now)) : open;
    free?.leased(open.length - kept.length);
    for (const b of kept) yield copy(b);
  }

  async batchContaining(jobId: string, id: number): Promise<Batch | undefined> {
    const last = batchesOf(this.ctx.tables, jobId, INVENTORY, 0, id).at(-1);
    return last && last.end >= id ? copy(last) : undefined;
  }

  /** A sample batch that exists already is kept as it is. */
  async putSampleBatches(
    jobId: string,
    runId: string,
    batches: readonly NewBatch[],
    at: string,
  ): Promise<void> {
    const scope: BatchScope = { kind: 'sample', runId };
    for (const b of batches) {
      if (!batchOf(this.ctx.tables, jobId, scope, b.start))
        putBatch(this.ctx.tables, newBatch(jobId, scope, b, at));
    }
  }

  async reopenStale(
    jobId: string,
    batch: Pick<Batch, 'start' | 'token' | 'consumed'>,
    staleFrom: string,
    now: number,
  ): Promise<boolean> {
    const b = batchOf(this.ctx.tables, jobId, INVENTORY, batch.start);
    if (b?.status !== 'SUCCEEDED' || b.token !== batch.token || b.consumed !== batch.consumed) return false;
    if (leaseLive(b, now)) return false;
    putBatch(this.ctx.tables, { ...b, status: 'PENDING', staleFrom });
    return true;
  }

  async reserveExisting(
    jobId: string,
    start: number,
    runId: string,
    reservedUntil: number,
    now: number,
    staleRuns: readonly string[],
  ): Promise<boolean> {
    const b = batchOf(this.ctx.tables, jobId, INVENTORY, start);
    if (!b || leaseLive(b, now) || b.moveFrom !== undefined) return false;
    if (!freeToReserve(b, runId, now, staleRuns)) return false;
    putBatch(this.ctx.tables, { ...b, reservedBy: runId, reservedUntil });
    return true;
  }

  #inventory(jobId: string): Batch[] {
    return batchesOf(this.ctx.tables, jobId, INVENTORY, 0, Number.MAX_SAFE_INTEGER);
  }
}
