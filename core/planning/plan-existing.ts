import { outputKeyOf } from '../contracts/s3-keys.ts';
import { settlePendingPublishes } from '../exceptions/exception-staging.ts';
import type { Batch } from '../model.ts';
import type { NewBatch } from '../ports/index.ts';
import { liveRuns } from '../runs/live-runs.ts';
import { relayQuietly } from '../runs/relay-events.ts';
import { addToManifest, type PlanContext } from './plan-context.ts';
import { settlePendingCuts } from './plan-new.ts';
import { settleMove, settlePendingMoves } from './split-outputs.ts';

/**
 * Existing batches for a run: the open ones (not yet SUCCEEDED: pending, failed, or left RUNNING by a dead
 * worker), or every batch inside a backfill's bounds (cut at the bounds). Never one under a live lease, never
 * one another live run has reserved.
 */
export async function planExisting(ctx: PlanContext, which: 'open' | 'bounds'): Promise<void> {
  const live = liveRuns(ctx.deps);
  // What workers and planners that died left half done: new ranges cut and not created, split outputs to move,
  // exceptions to publish.
  await settlePendingCuts(ctx, live);
  await settlePendingMoves(ctx.deps, ctx.job.jobId, ctx.runId, live);
  await settlePendingPublishes(ctx.deps, ctx.job.jobId);
  // Events a worker or a Finalize could not publish (the bus was down, or they died first).
  await relayQuietly(ctx.deps, ctx.job.jobId);
  // Batches under a live lease are busy: the open query leaves them out and counts them.
  const free = {
    now: ctx.deps.clock.now(),
    leased: (n: number) => {
      ctx.skippedBusy += n;
    },
  };
  const candidates = which === 'open' ? ctx.deps.batches.openBatches(ctx.job.jobId, free) : inBounds(ctx);
  // A split creates parts after the batch being looked at; a later page of the same query may show them.
  let seenTo = Number.NEGATIVE_INFINITY;
  for await (const found of candidates) {
    if (ctx.manifest.length >= ctx.maxBatches) return;
    if (found.start <= seenTo) continue;
    seenTo = found.end;
    if (which === 'open' && found.status === 'SUCCEEDED') continue;
    const now = ctx.deps.clock.now();
    if (found.leaseExpiresAt !== undefined && found.leaseExpiresAt >= now) {
      ctx.skippedBusy++;
      continue;
    }
    // Another live run's reservation is left alone, and its batch is not split under it either.
    const holder = found.reservedBy;
    const held = holder !== undefined && holder !== ctx.runId && (found.reservedUntil ?? 0) >= now;
    const stale = held && !(await live(ctx.job.jobId, holder)) ? [holder] : [];
    if (held && stale.length === 0) {
      ctx.skippedBusy++;
      continue;
    }
    // A consumer's range whose producers are not READY waits for them.
    if (ctx.gate && !(await ctx.gate.isReadyRange(found.start, found.end))) {
      ctx.skippedBusy++;
      continue;
    }
    const batch = which === 'bounds' ? await cutToBounds(ctx, found, stale) : found;
    if (!batch) continue;
    if (
      await ctx.deps.batches.reserveExisting(
        ctx.job.jobId,
        batch.start,
        ctx.runId,
        ctx.reservedUntil,
        now,
        stale,
      )
    ) {
      await ctx.deps.faults('plan.afterReserveExisting');
      addToManifest(ctx, batch, 'inventory');
    } else ctx.skippedBusy++;
  }
}

/** Batches that intersect [idStart, idEnd], in id order. */
async function* inBounds(ctx: PlanContext): AsyncGenerator<Batch> {
  const { idStart, idEnd } = ctx.input as { idStart: number; idEnd: number };
  const first = await ctx.deps.batches.batchContaining(ctx.job.jobId, idStart);
  yield* ctx.deps.batches.list(ctx.job.jobId, { kind: 'inventory' }, first?.start ?? idStart, idEnd);
}

/**
 * A batch that sticks out of the bounds is split so that the run never overruns them, and its output object is
 * moved into the parts' own; the part inside is returned; a lost race (the batch changed since it was read, or
 * another live run holds it) returns undefined.
 */
async function cutToBounds(
  ctx: PlanContext,
  batch: Batch,
  staleRuns: readonly string[],
): Promise<Batch | undefined> {
  const { idStart, idEnd } = ctx.input as { idStart: number; idEnd: number };
  if (batch.start >= idStart && batch.end <= idEnd) return batch;
  const cuts = [idStart, idEnd + 1].filter((c) => c > batch.start && c <= batch.end);
  const bounds = [batch.start, ...cuts, batch.end + 1];
  const parts: NewBatch[] = [];
  for (let i = 0; i + 1 < bounds.length; i++)
    parts.push(await partOf(ctx, bounds[i] as number, (bounds[i + 1] as number) - 1));
  const now = ctx.deps.clock.now();
  const move = {
    jobId: ctx.job.jobId,
    from: outputKeyOf(ctx.job.jobId, batch.scope, batch),
    succeeded: batch.status === 'SUCCEEDED',
    parts: parts.map((p) => [p.start, p.end] as const),
    runId: ctx.runId,
  };
  const split = await ctx.deps.splits.splitBatch({
    jobId: ctx.job.jobId,
    batch,
    parts,
    at: new Date(now).toISOString(),
    outputKey: move.from,
    runId: ctx.runId,
    reservedUntil: ctx.reservedUntil,
    now,
    staleRuns,
  });
  if (!split) {
    ctx.skippedBusy++;
    return undefined;
  }
  await ctx.deps.faults('plan.afterSplit');
  // The parts own their outputs before any of them is handed to a worker.
  await settleMove(ctx.deps, move);
  const inside = parts.find((p) => p.start >= idStart && p.end <= idEnd) as NewBatch;
  return ctx.deps.batches.getBatch(ctx.job.jobId, { kind: 'inventory' }, inside.start);
}

async function partOf(ctx: PlanContext, start: number, end: number): Promise<NewBatch> {
  const count = end - start + 1;
  if (ctx.job.batching.by === 'count') return { start, end, stride: 1, count, weight: count };
  let weight = 0;
  for await (const item of ctx.source.items(start, end)) weight += item.weight;
  return { start, end, stride: 1, count, weight };
}
