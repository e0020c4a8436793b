import { z } from 'zod';
import { sourceFor } from '../catalog/sources.ts';
import { manifestKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { DEFAULT_RESERVATION_MS } from '../deps.ts';
import { JobDeletingError, JobNotFoundError } from '../errors.ts';
import { type PlanOutput, RunId, RunInput } from '../events.ts';
import { GatedSource, producersOf } from '../jobs/dependencies.ts';
import type { Job, Run } from '../model.ts';
import { parse } from '../validation.ts';
import { withEntries } from './manifest-entries.ts';
import { DEFAULT_MAX_BATCHES, LEAD_PER_WORKER, type PlanContext } from './plan-context.ts';
import { planExisting } from './plan-existing.ts';
import { planNew } from './plan-new.ts';
import { planSample } from './plan-sample.ts';
import { planStale } from './plan-stale.ts';

/**
 * Plan a run: validate the input, reserve the batch ranges to do, write them as a manifest to S3, record the
 * run. Idempotent per runId: a retried Plan of the same execution returns the plan it already made.
 * @example await planRun(deps, { jobId: 'addresses', mode: 'backfill', idStart: 1000, idEnd: 1999 }, 'exec-1')
 */
export async function planRun(deps: Deps, rawInput: unknown, runId: string): Promise<PlanOutput> {
  const input = parse(RunInput, rawInput, 'execution input');
  parse(z.object({ runId: RunId }), { runId }, 'run id');
  const job = await deps.jobs.getJob(input.jobId);
  if (!job) throw new JobNotFoundError({ jobId: input.jobId });
  if (job.state === 'DELETING') throw new JobDeletingError({ jobId: input.jobId });
  const done = await deps.runs.getRun(job.jobId, runId);
  if (done?.manifestKey) return outputOf(deps, job, input, done);

  const now = deps.clock.now();
  const producers = producersOf(job).map((p) => p.jobId);
  const inner = await sourceFor(deps, job.datasetId);
  // A consumer plans only what its producers have READY: new ranges up to their frontier from its watermark.
  const gate = producers.length > 0 ? new GatedSource(deps, inner, producers, job.watermark) : undefined;
  const ctx: PlanContext = {
    deps,
    job,
    input,
    runId,
    source: gate ?? inner,
    gate,
    reservedUntil: now + (deps.reservationMs ?? DEFAULT_RESERVATION_MS),
    maxBatches: input.maxBatches ?? DEFAULT_MAX_BATCHES,
    lead: LEAD_PER_WORKER * (input.maxConcurrency ?? job.maxConcurrency),
    manifest: [],
    skippedBusy: 0,
    newBatches: 0,
    items: 0,
  };
  if (input.mode === 'sample') await planSample(ctx);
  else {
    if (input.mode !== 'backfill') await planExisting(ctx, 'open');
    else await planExisting(ctx, 'bounds');
    if (gate && input.mode === 'incremental') await planStale(ctx, gate);
    if (input.mode !== 'retry-failed') await planNew(ctx);
  }
  return finish(ctx);
}

async function finish(ctx: PlanContext): Promise<PlanOutput> {
  const { deps, job, input, runId } = ctx;
  const manifestKey = manifestKeyOf(job.jobId, runId);
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
  await deps.runs.putRun(run);
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
