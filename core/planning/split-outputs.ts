import { idOfLine, jsonLines, linesOf, outputKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import type { BatchScope } from '../model.ts';
import type { OutputMove } from '../ports/index.ts';

const INVENTORY: BatchScope = { kind: 'inventory' };

/**
 * Move a split batch's output into its parts' own objects. A backfill whose bounds cut a batch splits it
 * (core/planning/plan-existing.ts); the batch's object covers the old range, so each part gets an object of its own
 * lines at its own key and the old object goes: the outputs stay one object per batch, each id in one line.
 *
 *   0. the split transaction marks the parts (`moveFrom`), reserves them for the run, records the move
 *   1. each part's lines are written to its key (empty when it has none)
 *   2. the parts name their objects and counts (one transaction, only while still marked)
 *   3. the old object is deleted
 *   4. the marks, reservations and the move record are removed (one transaction)
 *
 * Each step may crash and be repeated. While marked, no part is leased, reserved or split again, so nothing
 * else writes the parts' keys. Step 1 only creates objects that do not exist: a repeat after a crash finds
 * what it wrote, and a settler that stalled past the end of the move (when a part may have been redone) writes
 * nothing. If the old object is gone at step 1, step 3 ran after step 2 (the parts name their objects), or the
 * batch never had one (its parts get empty objects). A batch that had not SUCCEEDED keeps nothing: an object at
 * its key was left by an attempt that never committed.
 */
export async function settleMove(deps: Deps, move: OutputMove): Promise<void> {
  if (move.succeeded && !(await recorded(deps, move))) {
    const outputs = await writeParts(deps, move);
    await deps.faults('split.afterParts');
    await deps.splits.recordMovedOutputs(move, outputs);
    await deps.faults('split.afterRecord');
  }
  await deps.objects.delete(deps.buckets.work, move.from);
  await deps.faults('split.afterDelete');
  await deps.splits.finishMove(move);
}

/**
 * Moves left by a planner that died, settled by the next one; a move of a live run is left to that run.
 * `live` tells whether a run still executes.
 */
export async function settlePendingMoves(
  deps: Deps,
  jobId: string,
  runId: string,
  live: (jobId: string, runId: string) => Promise<boolean>,
): Promise<void> {
  for (const move of await deps.splits.pendingMoves(jobId)) {
    if (move.runId === runId || !(await live(jobId, move.runId))) await settleMove(deps, move);
  }
}

/** Whether step 2 ran: every part still marked names its own object (the marks go all at once, at step 4). */
async function recorded(deps: Deps, move: OutputMove): Promise<boolean> {
  const parts = await Promise.all(
    move.parts.map(([start]) => deps.batches.getBatch(move.jobId, INVENTORY, start)),
  );
  return parts.every(
    (p) =>
      p === undefined || p.moveFrom !== move.from || p.outputKey === outputKeyOf(move.jobId, INVENTORY, p),
  );
}

async function writeParts(deps: Deps, move: OutputMove) {
  const body = await deps.objects.get(deps.buckets.work, move.from);
  const lines = body ? linesOf(body) : [];
  const per = move.parts.map(() => [] as string[]);
  for (const line of lines) {
    const id = idOfLine(line);
    per[move.parts.findIndex(([s, e]) => id >= s && id <= e)]?.push(line);
  }
  return Promise.all(
    move.parts.map(async ([start, end], i) => {
      const outputKey = outputKeyOf(move.jobId, INVENTORY, { start, end });
      const part = per[i] as string[];
      // Created only if absent: a settler that stalled while another finished the move and a worker redid
      // the part must not put the old lines (or none) over the new ones.
      await deps.objects.putIfAbsent(deps.buckets.work, outputKey, jsonLines(part), 'application/x-ndjson');
      return { outputKey, itemsSucceeded: part.length };
    }),
  );
}
