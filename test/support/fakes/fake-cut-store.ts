import { keys } from '../../../core/contracts/tables.ts';
import { ContentionError, JobDeletingError, JobNotFoundError } from '../../../core/errors.ts';
import type { BatchScope } from '../../../core/model.ts';
import type { CutStore, NewBatch, NewCut } from '../../../core/ports/index.ts';
import {
  batchOf,
  type FakeContext,
  jobOf,
  newBatch,
  putBatch,
  putJob,
  recordAt,
  recordsUnder,
} from './fake-records.ts';
import { copy } from './fake-table.ts';

const INVENTORY: BatchScope = { kind: 'inventory' };

/** Batches one cut may hold (CUT_MAX in dynamo-cut-records.ts: the transaction's other slot drops the cut). */
const CUT_MAX = 99;

function checkCut(cut: NewCut): void {
  if (cut.batches.length === 0 || cut.batches.length > CUT_MAX)
    throw new RangeError(`a cut holds 1-${CUT_MAX} batches`);
  if (cut.batches[0]?.start !== cut.from) throw new RangeError('a cut starts at its first batch');
}

const endOf = (cut: NewCut) => (cut.batches[cut.batches.length - 1] as NewBatch).end;

/**
 * CutStore in memory, with DynamoCutStore's rules: the watermark moves only from `cut.from` and only for an
 * ACTIVE job; a cut is created once, with the drop of its record, and a range is never created twice; a cut
 * found gone is success unless its job is gone or being deleted.
 */
export class FakeCutStore implements CutStore {
  constructor(private readonly ctx: FakeContext) {}

  async cutNew(cut: NewCut): Promise<boolean> {
    checkCut(cut);
    const t = this.ctx.tables;
    const job = jobOf(t, cut.jobId);
    if (!job) throw new JobNotFoundError({ jobId: cut.jobId });
    if (job.watermark === cut.from && job.state === 'ACTIVE') {
      putJob(t, { ...job, watermark: endOf(cut) + 1 });
      t.inventory.put(keys.cut(cut.jobId, cut.from), { kind: 'cut', cut: copy(cut) });
      return true;
    }
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: cut.jobId });
    return false;
  }

  async createCut(cut: NewCut): Promise<void> {
    checkCut(cut);
    const t = this.ctx.tables;
    const key = keys.cut(cut.jobId, cut.from);
    if (!t.inventory.has(key)) return this.#cutGone(cut);
    // Mutual exclusion: a range is created once; the whole cut is refused, its record kept.
    if (cut.batches.some((b) => batchOf(t, cut.jobId, INVENTORY, b.start))) {
      const operation = 'create cut (cancelled: ConditionalCheckFailed)';
      throw new ContentionError({ jobId: cut.jobId, operation, attempts: 1 });
    }
    t.inventory.delete(key);
    const reservation = { reservedBy: cut.runId, reservedUntil: cut.reservedUntil };
    for (const b of cut.batches) putBatch(t, newBatch(cut.jobId, INVENTORY, b, cut.at, reservation));
  }

  async finishCut(jobId: string, from: number): Promise<void> {
    const recorded = recordAt(this.ctx.tables, keys.cut(jobId, from), 'cut')?.cut;
    if (recorded) await this.createCut(copy(recorded));
  }

  async *pendingCuts(jobId: string): AsyncIterable<NewCut> {
    for (const r of recordsUnder(this.ctx.tables, jobId, 'N#', 'cut')) yield copy(r.cut);
  }

  /** Another planner created the cut, or a deletion removed it: then the job says so. */
  async #cutGone(cut: NewCut): Promise<void> {
    const job = jobOf(this.ctx.tables, cut.jobId);
    if (!job) throw new JobNotFoundError({ jobId: cut.jobId });
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: cut.jobId });
  }
}
