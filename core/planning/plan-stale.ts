import { type GatedSource, staleBatches } from '../jobs/dependencies.ts';
import type { ProducerBatchRef } from '../model.ts';
import { addToManifest, type PlanContext } from './plan-context.ts';

/**
 * A consumer's batches whose producers redid their range since they were read (core/jobs/dependencies.ts):
 * each is reopened (PENDING, with what changed) so that it is listed and its own consumers wait on it, and taken
 * into this run when its producers are READY again; one that is not waits for a later run. Reopening is
 * conditional on the batch as read, so a plan that crashed half way, or two plans at once, reopen each once.
 */
export async function planStale(ctx: PlanContext, gate: GatedSource): Promise<void> {
  const { deps, job } = ctx;
  for await (const { batch, now } of staleBatches(deps, job)) {
    const reopened = await deps.batches.reopenStale(job.jobId, batch, describe(now), deps.clock.now());
    if (!reopened) continue;
    await deps.faults('plan.afterReopen');
    if (ctx.manifest.length >= ctx.maxBatches) continue;
    if (!(await gate.isReadyRange(batch.start, batch.end))) continue;
    const reserved = await deps.batches.reserveExisting(
      job.jobId,
      batch.start,
      ctx.runId,
      ctx.reservedUntil,
      deps.clock.now(),
      [],
    );
    if (reserved) addToManifest(ctx, batch, 'inventory');
  }
}

/** What a stale batch's producers hold over its range now, for `staleFrom`. */
const describe = (now: readonly ProducerBatchRef[]): string =>
  now
    .slice(0, 5)
    .map((r) => `${r.jobId} ${r.start}-${r.end} (${r.completedAt || 'not committed'})`)
    .join(', ') + (now.length > 5 ? ` and ${now.length - 5} more` : '');
