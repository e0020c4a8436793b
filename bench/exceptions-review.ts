import type { Deps } from '../core/deps.ts';
import { requeueExceptions } from '../core/exceptions/requeue.ts';
import { resolveExceptions } from '../core/exceptions/review.ts';
import { createJob } from '../core/jobs/jobs.ts';
import type { NewException } from '../core/ports/index.ts';
import { inParallel, seedJsonl, startBenchLocal } from './support/local-run.ts';
import { machineNote } from './support/machine.ts';
import { diffTallies, isDdbRead, isDdbWrite, sumTallies } from './support/request-log.ts';
import { printTable } from './support/table.ts';

/** Exceptions resolved by one filter (target: under 30 s), and requeued with no selector (under 10 s). */
export const RESOLVE_COUNT = 10_000;
export const REQUEUE_COUNT = 2_000;
/** Every ELEVENTH item is of another kind, which the resolve's filter leaves alone. */
const OTHER_EVERY = 11;
/** Items per seeded occurrence batch, as a commit of one batch would publish them. */
const SEED_BATCH = 48;

/**
 * Bulk review on the local mode (DynamoDB Local): open exceptions seeded straight through the store, one
 * published batch of 48 per occurrence ref, over a catalog data set holding the original items; then one
 * `resolveExceptions` by kind and one `requeueExceptions` of every open exception, the calls behind
 * `exceptions resolve --kind K` and `exceptions requeue`. Figures only.
 */
export async function exceptionsReviewBench(): Promise<string> {
  const local = await startBenchLocal();
  const { deps } = local.mode;
  try {
    const items = Math.ceil((RESOLVE_COUNT * OTHER_EVERY) / (OTHER_EVERY - 1));
    await seedJsonl(local.mode, 'exr', Math.ceil(items / 1_000), 1_000);
    for (const jobId of ['exr-resolve', 'exr-requeue'])
      await createJob(deps, {
        jobId,
        datasetId: 'exr',
        processor: { name: 'noop' },
        batching: { by: 'count', size: 1_000 },
      });
    const kindOf = (id: number) => (id % OTHER_EVERY === 0 ? 'other' : 'stale');
    const seeded = Date.now();
    await seed(deps, 'exr-resolve', items, kindOf);
    await seed(deps, 'exr-requeue', REQUEUE_COUNT, () => 'stale');
    const seedMs = Date.now() - seeded;

    const rows: (string | number)[][] = [];
    const measure = async <T>(
      label: string,
      call: () => Promise<T>,
      count: (r: T) => number,
      target: number,
    ) => {
      const before = local.log.snapshot();
      const began = performance.now();
      const result = await call();
      const ms = performance.now() - began;
      const t = diffTallies(local.log.snapshot(), before);
      const n = count(result);
      rows.push([
        label,
        n,
        (ms / 1000).toFixed(1),
        `< ${target}`,
        Math.round((n / ms) * 1000),
        sumTallies(t, isDdbWrite).requests,
        sumTallies(t, isDdbRead).requests,
      ]);
      return { n, ms };
    };
    const resolved = await measure(
      `resolve --kind stale (${items} open, 2 kinds)`,
      () => resolveExceptions(deps, 'exr-resolve', { filter: { kinds: ['stale'] } }, 'bench: stale'),
      (r) => r.reviewed,
      30,
    );
    const requeued = await measure(
      `requeue (all ${REQUEUE_COUNT} open)`,
      () => requeueExceptions(deps, 'exr-requeue'),
      (r) => r.requeued,
      10,
    );
    console.log(machineNote());
    console.log(
      `seeded ${items + REQUEUE_COUNT} open exceptions through the store in ${(seedMs / 1000).toFixed(1)} s`,
    );
    printTable(['call', 'exceptions', 'seconds', 'target s', 'per s', 'DDB writes', 'DDB reads'], rows);
    const s = (x: { ms: number }) => (x.ms / 1000).toFixed(1);
    return `exceptions-review: resolved=${resolved.n} resolve_s=${s(resolved)} requeued=${requeued.n} requeue_s=${s(requeued)}`;
  } finally {
    await local.stop();
  }
}

/** Open exceptions for items 1..count, published as committed batches of SEED_BATCH (4 at a time). */
async function seed(deps: Deps, jobId: string, count: number, kindOf: (id: number) => string): Promise<void> {
  const at = new Date().toISOString();
  await inParallel(Math.ceil(count / SEED_BATCH), 4, async (b) => {
    const start = b * SEED_BATCH + 1;
    const exceptions: NewException[] = [];
    for (let id = start; id < start + SEED_BATCH && id <= count; id++)
      exceptions.push({ itemId: id, kind: kindOf(id), details: { reason: `bench item ${id}` } });
    const ref = { jobId, scope: { kind: 'inventory' as const }, runId: 'bench-seed', start, token: 1 };
    await deps.exceptions.putCommitted(ref, exceptions, at);
  });
}
