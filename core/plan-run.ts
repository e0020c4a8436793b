import { z } from 'zod';
import { cut } from './batching.ts';
import type { Deps } from './deps.ts';
import { DEFAULT_RESERVATION_MS } from './deps.ts';
import { ContentionError, JobDeletingError, JobNotFoundError } from './errors.ts';
import { type ManifestItem, type PlanOutput, RunId, RunInput } from './events.ts';
import { withEntries } from './manifest-entries.ts';
import type { Job, Run } from './model.ts';
import { planExisting } from './plan-existing.ts';
import { planSample } from './plan-sample.ts';
import type { NewBatch, Source } from './ports.ts';
import { sourceFor } from './sources.ts';
import { parse } from './validation.ts';

/** Manifests stay within what one Distributed Map run should carry. @default 10000 */
export const DEFAULT_MAX_BATCHES = 10_000;
const RESERVE_CHUNK = 99;
const MAX_CONFLICTS = 200;

export interface PlanContext {
  readonly deps: Deps;
  readonly job: Job;
  readonly input: RunInput;
  readonly runId: string;
  readonly source: Source;
  readonly reservedUntil: number;
  readonly maxBatches: number;
  readonly manifest: ManifestItem[];
  skippedBusy: number;
  newBatches: number;
  items: number;
}

/**
 * Plan a run: validate the input, reserve the batch ranges to do, write them as a manifest to S3, record the
 * run. Idempotent per runId: a retried Plan of the same execution returns the plan it already made.
 * @example await planRun(deps, { jobId: 'addresses', mode: 'backfill', idStart: 1000, idEnd: 1999 }, 'exec-1')
 */
export async function planRun(deps: Deps, rawInput: unknown, runId: string): Promise<PlanOutput> {
  const input = parse(RunInput, rawInput, 'execution input');
  parse(z.object({ runId: RunId }), { runId }, 'run id');
  const job = await deps.inventory.getJob(input.jobId);
  if (!job) throw new JobNotFoundError({ jobId: input.jobId });
  if (job.state === 'DELETING') throw new JobDeletingError({ jobId: input.jobId });
  const done = await deps.inventory.getRun(job.jobId, runId);
  if (done?.manifestKey) return outputOf(deps, job, input, done);

  const now = deps.clock.now();
  const ctx: PlanContext = {
    deps,
    job,
    input,
    runId,
    source: await sourceFor(deps, job.datasetId),
    reservedUntil: now + (deps.reservationMs ?? DEFAULT_RESERVATION_MS),
    maxBatches: input.maxBatches ?? DEFAULT_MAX_BATCHES,
    manifest: [],
    skippedBusy: 0,
    newBatches: 0,
    items: 0,
  };
  if (input.mode === 'sample') await planSample(ctx);
  else {
    if (input.mode !== 'backfill') await planExisting(ctx, 'open');
    else await planExisting(ctx, 'bounds');
    if (input.mode !== 'retry-failed') await planNew(ctx);
  }
  return finish(ctx);
}

/**
 * New ranges past the watermark, reserved in transactions of up to 99 batches that move the watermark. The job
 * record is read again only after another planner moved the watermark first: a reservation that went through
 * left it at the end of its last batch.
 */
async function planNew(ctx: PlanContext): Promise<void> {
  const { deps, input } = ctx;
  const high = await ctx.source.highId();
  const ceiling = input.mode === 'backfill' ? Math.min(high, input.idEnd as number) : high;
  let job = await deps.inventory.getJob(ctx.job.jobId);
  for (let conflicts = 0; ctx.manifest.length < ctx.maxBatches; ) {
    if (!job) throw new JobNotFoundError({ jobId: ctx.job.jobId });
    if (job.watermark > ceiling) return;
    const chunk = await nextChunk(ctx, job, ceiling);
    if (chunk.length === 0) return;
    const at = new Date(deps.clock.now()).toISOString();
    if (await deps.inventory.reserveNew(job.jobId, job.watermark, chunk, ctx.runId, ctx.reservedUntil, at)) {
      await deps.faults('plan.afterReserveNew');
      ctx.newBatches += chunk.length;
      for (const b of chunk) addToManifest(ctx, b, 'inventory');
      job = { ...job, watermark: (chunk.at(-1) as NewBatch).end + 1 };
      continue;
    }
    // Another planner moved the watermark first: read it again and cut from there.
    if (++conflicts > MAX_CONFLICTS)
      throw new ContentionError({ jobId: job.jobId, operation: 'reserve', attempts: conflicts });
    await backoff(conflicts);
    job = await deps.inventory.getJob(ctx.job.jobId);
  }
}

/** The next batches from the watermark, at most one transaction's worth and within the manifest's room. */
async function nextChunk(ctx: PlanContext, job: Job, ceiling: number): Promise<NewBatch[]> {
  const room = Math.min(RESERVE_CHUNK, ctx.maxBatches - ctx.manifest.length);
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

export function addToManifest(
  ctx: PlanContext,
  b: { start: number; end: number; stride: number; count: number },
  scope: ManifestItem['scope'],
) {
  if (
    ctx.input.mode === 'backfill' &&
    (b.start < (ctx.input.idStart as number) || b.end > (ctx.input.idEnd as number))
  )
    return;
  ctx.manifest.push({ start: b.start, end: b.end, stride: b.stride, scope });
  ctx.items += b.count;
}

const backoff = (n: number) =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(100, 2 * 2 ** Math.min(n, 6))));

async function finish(ctx: PlanContext): Promise<PlanOutput> {
  const { deps, job, input, runId } = ctx;
  const manifestKey = `manifests/${job.jobId}/${runId}.json`;
  const manifest = await withEntries(deps, job.datasetId, ctx.manifest);
  await deps.objects.put(deps.buckets.work, manifestKey, JSON.stringify(manifest), 'application/json');
  await deps.faults('plan.afterManifest');
  const run: Run = {
    jobId: job.jobId,
    runId,
    mode: input.mode,
    idStart: input.idStart,
    idEnd: input.idEnd,
    every: input.every,
    limit: input.limit,
    status: 'PLANNED',
    plannedAt: new Date(deps.clock.now()).toISOString(),
    configHash: job.configHash,
    batchesPlanned: ctx.manifest.length,
    itemsPlanned: ctx.items,
    manifestKey,
  };
  await deps.inventory.putRun(run);
  return { ...outputOf(deps, job, input, run), newBatches: ctx.newBatches, skippedBusy: ctx.skippedBusy };
}

function outputOf(deps: Deps, job: Job, input: RunInput, run: Run): PlanOutput {
  return {
    jobId: job.jobId,
    runId: run.runId,
    mode: run.mode,
    batches: run.batchesPlanned,
    items: run.itemsPlanned,
    newBatches: 0,
    skippedBusy: 0,
    manifestBucket: deps.buckets.work,
    manifestKey: run.manifestKey as string,
    maxConcurrency: input.maxConcurrency ?? job.maxConcurrency,
    toleratedFailurePercentage: input.toleratedFailurePercentage ?? job.toleratedFailurePercentage,
  };
}
