import type { NewBatch } from './batch-store.ts';

/** New ranges a planner took past the watermark: recorded first, then created as batches reserved for its run. */
export interface NewCut {
  readonly jobId: string;
  /** The watermark it moved, which is the first batch's start. */
  readonly from: number;
  /** 1 to 99, adjacent, in id order. */
  readonly batches: readonly NewBatch[];
  readonly runId: string;
  readonly reservedUntil: number;
  /** When it was planned (ISO): its batches' plannedAt. */
  readonly at: string;
}

/** New ranges past the watermark, reserved in two steps (cut, then create). */
export interface CutStore {
  /**
   * Reserve new ranges past the watermark, step one: the watermark moves from `cut.from` to the end of the cut's
   * last batch only if it is still `cut.from`, and the cut is recorded with it. Returns false when another
   * planner moved it first.
   */
  cutNew(cut: NewCut): Promise<boolean>;
  /**
   * Step two: create the cut's batches, reserved for `cut.runId`, and drop the cut record, atomically. A cut
   * already created (by a planner finishing it for a dead one) is success; a job being deleted is an error.
   */
  createCut(cut: NewCut): Promise<void>;
  /** Cuts recorded by step one and not yet created. */
  pendingCuts(jobId: string): AsyncIterable<NewCut>;
  /**
   * Create the cut recorded at `from` if it is still recorded (createCut); a cut already created or removed by
   * a deletion leaves nothing to do. A job being deleted is an error, as for createCut.
   */
  finishCut(jobId: string, from: number): Promise<void>;
}
