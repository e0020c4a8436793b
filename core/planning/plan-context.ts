import { flavorFor } from '../contracts/flavors.ts';
import type { Deps } from '../deps.ts';
import type { ManifestItem, RunInput } from '../events.ts';
import type { GatedSource } from '../jobs/dependencies.ts';
import type { Job } from '../model.ts';
import type { Source } from '../ports/index.ts';

/** Manifests stay within what one Distributed Map run should carry. @default 10000 */
export const DEFAULT_MAX_BATCHES = 10_000;

/**
 * How far ahead of the Map a run's new batches are created, in manifest items per unit of the run's
 * concurrency: Plan creates the cuts that start within the first `lead` items itself and leaves each later one
 * to the worker of the item `lead` places before it (plan-new.ts).
 */
export const LEAD_PER_WORKER = 4;

export interface PlanContext {
  readonly deps: Deps;
  readonly job: Job;
  readonly input: RunInput;
  readonly runId: string;
  readonly source: Source;
  /** A consumer's producers' readiness (core/jobs/dependencies.ts); absent for a job without producers. */
  readonly gate?: GatedSource;
  readonly reservedUntil: number;
  readonly maxBatches: number;
  /** Manifest items ahead of the Map within which Plan creates new batches itself. */
  readonly lead: number;
  readonly manifest: ManifestItem[];
  skippedBusy: number;
  newBatches: number;
  items: number;
}

/** Add a batch to the run's manifest; a backfill takes only what lies inside its bounds. */
export function addToManifest(
  ctx: PlanContext,
  b: { start: number; end: number; stride: number; count: number; weight: number },
  scope: ManifestItem['scope'],
  cut?: number,
) {
  if (
    ctx.input.mode === 'backfill' &&
    (b.start < (ctx.input.idStart as number) || b.end > (ctx.input.idEnd as number))
  )
    return;
  const item: ManifestItem = { start: b.start, end: b.end, stride: b.stride, scope };
  if (cut !== undefined) item.cut = cut;
  // Where the batch runs: the job's routing by weight, decided here and dispatched on by the state machine.
  const flavor = flavorFor(ctx.job.routing, b.weight);
  if (flavor !== undefined) item.flavor = flavor;
  ctx.manifest.push(item);
  ctx.items += b.count;
}
