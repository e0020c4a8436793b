import { describe, expect, it } from 'vitest';
import { outputKeyOf } from '../../../core/contracts/s3-keys.ts';
import { JobDeletingError, PreflightFailedError } from '../../../core/errors.ts';
import type { ManifestEntry } from '../../../core/events.ts';
import { createJob, updateJobConfig } from '../../../core/jobs/jobs.ts';
import type { BatchScope } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import type { CatalogStore, JobStore, LeaseStore } from '../../../core/ports/index.ts';
import { JOB_FRESH_MS } from '../../../core/processing/batch-inputs.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { type CoreEnv, collect, coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { manifestOf } from '../../support/inventory-checks.ts';

/**
 * What ProcessBatch reads, and when: a container that has seen a job sends the job read, the lease and the
 * catalog query together and reads the data set record once; every decision is still made on the job and the
 * batch as they are now.
 */

const INVENTORY: BatchScope = { kind: 'inventory' };
const event = (start: number, end: number, runId = 'run-1', entries?: ManifestEntry[]) => ({
  jobId: 'j',
  runId,
  mode: 'incremental' as const,
  batch: { start, end, stride: 1, scope: 'inventory' as const, ...(entries ? { entries } : {}) },
});

/** The ids in the output object of a batch, in order. */
async function outputIds(e: CoreEnv, start: number, end: number): Promise<number[]> {
  const body = await e.deps.objects.get(e.deps.buckets.work, outputKeyOf('j', INVENTORY, { start, end }));
  return new TextDecoder()
    .decode(body)
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: number }).id);
}

/** The manifest's item of the batch that starts at `start`, as the Map hands it over. */
async function manifestEvent(e: CoreEnv, start: number) {
  const items = await manifestOf(e.deps, 'manifests/j/run-1.json');
  const batch = items.find((m) => m.start === start);
  if (!batch?.entries) throw new Error(`no entries in the manifest item at ${start}`);
  return { jobId: 'j', runId: 'run-1', mode: 'incremental' as const, batch };
}

async function setup(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label);
  await seedDataset(e.deps, 'ds', 60, { chunk: 20 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 20 },
  });
  await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  return e;
}

/** Stores that log when each call starts and ends, as fresh instances (a container of their own). */
function traced(e: CoreEnv, log: string[]) {
  const wrap = <T extends object>(target: T, name: string, methods: readonly string[]): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver);
        if (typeof value !== 'function' || !methods.includes(String(prop))) return value;
        return (...args: unknown[]) => {
          log.push(`${name}.${String(prop)} start`);
          const out = value.apply(t, args);
          if (out && typeof (out as Promise<unknown>).then === 'function')
            (out as Promise<unknown>).then(
              () => log.push(`${name}.${String(prop)} end`),
              () => log.push(`${name}.${String(prop)} end`),
            );
          return out;
        };
      },
    });
  return e.with({
    jobs: wrap(e.deps.jobs, 'jobs', ['getJob']) as JobStore,
    leases: wrap(e.deps.leases, 'leases', ['acquire']) as LeaseStore,
    catalog: wrap(e.deps.catalog, 'catalog', ['getDataset', 'entries']) as CatalogStore,
  });
}

describe('ProcessBatch reads', () => {
  it('works from the job it read for this run, and reads it again beside the lease once that is not fresh', async () => {
    const e = await setup('pb-reads-together');
    const log: string[] = [];
    const deps = traced(e, log);
    await processBatch(deps, event(1, 20), quietWorker('w1'));
    // The first batch of a container learns the job first.
    expect(log.slice(0, 3)).toEqual(['jobs.getJob start', 'jobs.getJob end', 'leases.acquire start']);
    log.length = 0;
    await processBatch(deps, event(21, 40), quietWorker('w2'));
    // The same run, within JOB_FRESH_MS: no job read; the lease and the catalog query go out together.
    expect(log.filter((l) => l.endsWith('start')).sort()).toEqual([
      'catalog.entries start',
      'leases.acquire start',
    ]);
    expect(log.indexOf('catalog.entries start')).toBeLessThan(log.indexOf('leases.acquire end'));
    log.length = 0;
    e.clock.advance(JOB_FRESH_MS);
    await processBatch(deps, event(41, 60), quietWorker('w3'));
    // No longer fresh: all three asked before the job read has answered; the data set is not read again.
    const firstEnd = log.indexOf('jobs.getJob end');
    expect(log.slice(0, firstEnd)).toEqual(
      expect.arrayContaining(['jobs.getJob start', 'leases.acquire start', 'catalog.entries start']),
    );
    expect(log.filter((l) => l === 'catalog.getDataset start')).toEqual([]);
    const batches = await collect(e.deps.batches.list('j', INVENTORY));
    expect(batches.map((b) => [b.start, b.status, b.itemsSucceeded])).toEqual([
      [1, 'SUCCEEDED', 20],
      [21, 'SUCCEEDED', 20],
      [41, 'SUCCEEDED', 20],
    ]);
  });

  it('reads the job again for a new run, and picks up a config update once the record is not fresh', async () => {
    const e = await setup('pb-reads-config');
    const log: string[] = [];
    const deps = traced(e, log);
    const hashOf = async (start: number) =>
      (await e.deps.batches.getBatch('j', INVENTORY, start))?.configHash;
    await processBatch(deps, event(1, 20), quietWorker('w1'));
    const before = await hashOf(1);
    const updated = await updateJobConfig(e.deps, 'j', { variant: 2 });
    await processBatch(deps, event(21, 40), quietWorker('w2'));
    expect(await hashOf(21)).toBe(before);
    e.clock.advance(JOB_FRESH_MS);
    await processBatch(deps, event(41, 60), quietWorker('w3'));
    expect(await hashOf(41)).toBe(updated.configHash);
    expect(updated.configHash).not.toBe(before);
    // A backfill is a new run: its first batch in this container reads the job, however fresh the record is.
    log.length = 0;
    await planRun(e.deps, { jobId: 'j', mode: 'backfill', idStart: 1, idEnd: 20 }, 'run-2');
    await processBatch(deps, { ...event(1, 20, 'run-2'), mode: 'backfill' }, quietWorker('w4'));
    expect(log.filter((l) => l === 'jobs.getJob start')).toHaveLength(1);
    expect(await hashOf(1)).toBe(updated.configHash);
  });

  it('loads a batch from the entries its manifest item carries, without reading the catalog', async () => {
    const e = await setup('pb-reads-manifest');
    const log: string[] = [];
    const deps = traced(e, log);
    // The first batch of a container (job read first) and the next ones (reads beside the lease).
    for (const start of [1, 21, 41])
      await processBatch(deps, await manifestEvent(e, start), quietWorker(`w${start}`));
    expect(log.filter((l) => l === 'catalog.entries start')).toEqual([]);
    const batches = await collect(e.deps.batches.list('j', INVENTORY));
    expect(batches.map((b) => [b.start, b.status, b.itemsSucceeded])).toEqual([
      [1, 'SUCCEEDED', 20],
      [21, 'SUCCEEDED', 20],
      [41, 'SUCCEEDED', 20],
    ]);
    expect(await outputIds(e, 21, 40)).toEqual(Array.from({ length: 20 }, (_, i) => 21 + i));
  });

  it('fails the ready question, writing no output, when the entries carried leave out ids of the batch', async () => {
    const e = await setup('pb-reads-manifest-short');
    const { batch } = await manifestEvent(e, 1);
    const short = [{ ...(batch.entries?.[0] as ManifestEntry), count: 10 }];
    await expect(
      processBatch(e.deps, event(1, 20, 'run-1', short), quietWorker('w1')),
    ).rejects.toBeInstanceOf(PreflightFailedError);
    const [attempt] = await collect(e.deps.attempts.list('j', INVENTORY, 1));
    expect(attempt?.error?.name).toBe('PreflightFailedError');
    expect(attempt?.diagnostics?.preflight).toMatchObject({
      ready: { ok: false, detail: '10/20 ids registered, 0 not marked READY' },
    });
    const objects = await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/');
    expect(objects.items).toEqual([]);
  });

  it('gives the lease back and writes nothing when the job it read again is being deleted', async () => {
    const e = await setup('pb-reads-deleting');
    await processBatch(e.deps, event(1, 20), quietWorker('w1'));
    await e.deps.jobs.markJobDeleting('j', new Date(e.clock.now()).toISOString());
    // Past JOB_FRESH_MS the container reads the job again, beside the lease request.
    e.clock.advance(JOB_FRESH_MS);
    await expect(processBatch(e.deps, event(21, 40), quietWorker('w2'))).rejects.toBeInstanceOf(
      JobDeletingError,
    );
    const batch = await e.deps.batches.getBatch('j', INVENTORY, 21);
    expect(batch?.leaseOwner).toBeUndefined();
    expect(batch?.status).not.toBe('SUCCEEDED');
    const [attempt] = await collect(e.deps.attempts.list('j', INVENTORY, 21));
    expect(attempt?.error?.name).toBe('JobDeletingError');
    const objects = await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/');
    expect(objects.items.map((o) => o.key)).toEqual([outputKeyOf('j', INVENTORY, { start: 1, end: 20 })]);
  });

  it('loads the batch it leased, not the range of a manifest written before the batch was split', async () => {
    const e = await setup('pb-reads-split');
    await processBatch(e.deps, event(1, 20), quietWorker('w1'));
    // run-1 is over; a backfill cuts its batch 21-40 at 30 before run-1's stale manifest item is delivered.
    const dead = e.with({ liveness: { isActive: async (_: string, run: string) => run !== 'run-1' } });
    await planRun(dead, { jobId: 'j', mode: 'backfill', idStart: 21, idEnd: 30 }, 'run-2');
    const out = await processBatch(e.deps, event(21, 40), quietWorker('w2'));
    expect([out.outcome, out.start, out.end, out.itemsSucceeded]).toEqual(['SUCCEEDED', 21, 30, 10]);
    expect(await outputIds(e, 21, 30)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
  });
});
