import { flavorFor } from '../contracts/flavors.ts';
import type { NewBatch } from '../ports/index.ts';
import type { PlanContext } from './plan-context.ts';

/** Sample batches per one write: the sample's own scope, never the job's real inventory. */
const SAMPLE_BATCH_DEFAULT = 100;

/**
 * A deterministic sample: every Nth id from idStart (or the first id) to idEnd (or the high id), at most
 * `limit` items, recorded under the run's own scope so that the job's inventory is untouched.
 */
export async function planSample(ctx: PlanContext): Promise<void> {
  const { input, job } = ctx;
  const every = input.every as number;
  const from = input.idStart ?? job.firstId;
  const high = await ctx.source.highId();
  const to = Math.min(input.idEnd ?? high, high);
  if (to < from) return;
  const total = Math.min(Math.floor((to - from) / every) + 1, input.limit ?? Number.MAX_SAFE_INTEGER);
  const size = job.batching.by === 'count' ? job.batching.size : SAMPLE_BATCH_DEFAULT;
  const batches: NewBatch[] = [];
  for (let done = 0; done < total && batches.length < ctx.maxBatches; done += size) {
    const count = Math.min(size, total - done);
    const start = from + done * every;
    batches.push({ start, end: start + (count - 1) * every, stride: every, count, weight: count });
  }
  const at = new Date(ctx.deps.clock.now()).toISOString();
  await ctx.deps.batches.putSampleBatches(job.jobId, ctx.runId, batches, at);
  await ctx.deps.faults('plan.afterSample');
  for (const b of batches) {
    // A sample batch's weight is its item count (no item is weighed for it): a job that sends every batch to a
    // container (minWeight 0) sends its samples there too.
    const flavor = flavorFor(job.routing, b.weight);
    ctx.manifest.push({
      start: b.start,
      end: b.end,
      stride: b.stride,
      scope: 'sample',
      ...(flavor ? { flavor } : {}),
    });
    ctx.items += b.count;
  }
}
