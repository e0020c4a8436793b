import { expect } from 'vitest';
import type { Deps } from '../../core/deps.ts';
import type { ManifestItem } from '../../core/events.ts';
import type { Batch } from '../../core/model.ts';
import { collect } from './seed-data.ts';

// Inventory checks for any Deps (on DynamoDB Local or on the fakes); nothing here starts a local engine.

/** Tiling: the job's batches, with the cuts recorded and not yet created, cover [firstId, watermark) with no gap and no overlap. */
export async function expectTiling(deps: Deps, jobId: string): Promise<Batch[]> {
  const job = await deps.jobs.getJob(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  const batches = await collect(deps.batches.list(jobId, { kind: 'inventory' }));
  // Cuts recorded and not yet created hold their batches until a worker or the next plan creates them.
  const cut = (await collect(deps.cuts.pendingCuts(jobId))).flatMap((c) => c.batches);
  let next = job.firstId;
  for (const b of [...batches, ...cut].sort((x, y) => x.start - y.start)) {
    expect(b.start, `batch ${b.start}-${b.end} must start where the previous ended`).toBe(next);
    expect(b.end).toBeGreaterThanOrEqual(b.start);
    expect(b.count).toBe(b.end - b.start + 1);
    next = b.end + 1;
  }
  expect(next, 'batches must reach the watermark').toBe(job.watermark);
  return batches;
}

/** The manifest a plan wrote to the work bucket. */
export async function manifestOf(deps: Deps, key: string): Promise<ManifestItem[]> {
  const body = await deps.objects.get(deps.buckets.work, key);
  if (!body) throw new Error(`no manifest at ${key}`);
  return JSON.parse(Buffer.from(body).toString('utf8')) as ManifestItem[];
}

/** Every id in the manifests, with how many manifests hold it. */
export function idCounts(manifests: readonly ManifestItem[][]): Map<number, number> {
  const seen = new Map<number, number>();
  for (const m of manifests) {
    for (const b of m)
      for (let id = b.start; id <= b.end; id += b.stride) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}
