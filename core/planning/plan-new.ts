import { ContentionError, JobNotFoundError } from '../errors.ts';
import type { ManifestItem } from '../events.ts';
import type { Job } from '../model.ts';
import type { NewBatch, NewCut, Source } from '../ports/index.ts';
import { cut } from './batching.ts';
import { addToManifest, type PlanContext } from './plan-context.ts';

/** Batches per cut: the transaction that creates them also drops the cut record. */
const CUT_SIZE = 99;
const MAX_CONFLICTS = 200;

/**
 * New ranges past the watermark, reserved a cut of up to 99 batches at a time, in two steps: a small transaction
 * moves the watermark and records the cut (planners race here, and a loser has spent two item writes), then a
 * second one creates the cut's batches, which nobody else races for. A planner that dies between the two leaves
 * the cut recorded, and the next plan creates it (settlePendingCuts). The job record is read again only after
 * another planner moved the watermark first: a cut that went through left it at the end of its last batch.
 *
 * Plan creates only the cuts that start within the first `ctx.lead` manifest items. Each later one is left to
 * the run's workers, so that creating it overlaps the work instead of delaying the Map: its items carry the
 * cut (a worker that finds no record creates it, see acquire), and the item `lead` places before its first one
 * carries it as `ahead` (that worker creates it while it works). A run that ends with a cut still recorded
 * leaves it to the next plan, as a dead planner's.
 */
export async function planNew(ctx: PlanContext): Promise<void> {
  const { deps, input } = ctx;
  const high = await ctx.source.highId();
  const ceiling = input.mode === 'backfill' ? Math.min(high, input.idEnd as number) : high;
  // The job as Plan read it: a watermark moved since then costs one refused cut of two items, then a fresh read.
  let job: Job | undefined = ctx.job;
  for (let conflicts = 0; ctx.manifest.length < ctx.maxBatches; ) {
    if (!job) throw new JobNotFoundError({ jobId: ctx.job.jobId });
    if (job.watermark > ceiling) return;
    const batches = await nextChunk(ctx, job, ceiling);
    if (batches.length === 0) return;
    const at = new Date(deps.clock.now()).toISOString();
    const taken: NewCut = {
      jobId: job.jobId,
      from: job.watermark,
      batches,
      runId: ctx.runId,
      reservedUntil: ctx.reservedUntil,
      at,
    };
    if (await deps.cuts.cutNew(taken)) {
      await deps.faults('plan.afterCut');
      const first = ctx.manifest.length;
      // A backfill's cuts below its bounds come before any item of it, so Plan creates them: first is 0.
      if (first < ctx.lead) {
        await deps.cuts.createCut(taken);
        await deps.faults('plan.afterReserveNew');
        for (const b of batches) addToManifest(ctx, b, 'inventory');
      } else {
        for (const b of batches) addToManifest(ctx, b, 'inventory', taken.from);
        (ctx.manifest[first - ctx.lead] as ManifestItem).ahead = taken.from;
      }
      ctx.newBatches += batches.length;
      job = { ...job, watermark: (batches.at(-1) as NewBatch).end + 1 };
      continue;
    }
    // Another planner moved the watermark first: read it again and cut from there.
    if (++conflicts > MAX_CONFLICTS)
      throw new ContentionError({ jobId: job.jobId, operation: 'reserve', attempts: conflicts });
    await backoff(conflicts);
    job = await deps.jobs.getJob(ctx.job.jobId);
  }
}

/**
 * Cuts whose planner died between its two steps (its run is over, or its reservation lapsed), and this run's
 * own from a Plan that crashed, are created now, exactly as their planner would have: reserved for it, so that
 * the plan looking at open batches next takes them like any dead run's. A live planner's cut is left to it.
 */
export async function settlePendingCuts(
  ctx: PlanContext,
  live: (jobId: string, runId: string) => Promise<boolean>,
): Promise<void> {
  const { deps, job, runId } = ctx;
  for await (const pending of deps.cuts.pendingCuts(job.jobId)) {
    const held =
      pending.runId !== runId &&
      pending.reservedUntil >= deps.clock.now() &&
      (await live(job.jobId, pending.runId));
    if (!held) await deps.cuts.createCut(pending);
    else ctx.skippedBusy += pending.batches.filter((b) => inScope(ctx, b)).length;
  }
}

const inScope = (ctx: PlanContext, b: NewBatch) =>
  ctx.input.mode !== 'backfill' ||
  (b.end >= (ctx.input.idStart as number) && b.start <= (ctx.input.idEnd as number));

/** The next batches from the watermark, at most one cut's worth and within the manifest's room. */
async function nextChunk(ctx: PlanContext, job: Job, ceiling: number): Promise<NewBatch[]> {
  const room = Math.min(CUT_SIZE, ctx.maxBatches - ctx.manifest.length);
  const out: NewBatch[] = [];
  // A backfill past the watermark cuts at idStart, so that its manifest holds only ranges inside the bounds.
  const cutAt =
    ctx.input.mode === 'backfill' && (ctx.input.idStart as number) > job.watermark
      ? (ctx.input.idStart as number)
      : undefined;
  const to = cutAt !== undefined ? cutAt - 1 : ceiling;
  const weighed = (a: number, b: number) => weights(ctx.source, a, b);
  for await (const b of cut(ctx.job.batching, job.watermark, to, weighed)) {
    out.push(b);
    if (out.length >= room) break;
  }
  return out;
}

async function* weights(source: Source, from: number, to: number) {
  for await (const item of source.items(from, to)) yield { id: item.id, weight: item.weight };
}

const backoff = (n: number) =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 * 2 ** Math.min(n, 6))));
