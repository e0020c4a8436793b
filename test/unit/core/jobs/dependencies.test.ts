import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerPlanned } from '../../../../core/catalog/register-objects.ts';
import { outputKeyOf } from '../../../../core/contracts/s3-keys.ts';
import { ItemRejectedError, JobInUseError, ValidationError } from '../../../../core/errors.ts';
import type { ManifestItem, RunInput } from '../../../../core/events.ts';
import { staleBatches } from '../../../../core/jobs/dependencies.ts';
import { createJob, deleteJob, updateJobConfig } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { builtinProcessors } from '../../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../../core/processors/registry.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { collect, quietWorker, seedDataset } from '../../../support/seed-data.ts';

/** Adds `add` (config) to n; sets aside every multiple of 7 (producer A only: `reject`). */
const add = defineProcessor({
  name: 'add',
  version: '1',
  configSchema: z.strictObject({ add: z.number().default(1), reject: z.boolean().default(false) }),
  itemSchema: z.object({ n: z.number() }),
  processItem: (item, { id, ctx }) => {
    if (ctx.config.reject && id % 7 === 0) throw new ItemRejectedError('seventh', {});
    return { n: item.n + ctx.config.add };
  },
});

function env(faults?: FaultSwitch): FakeDeps {
  return fakeDeps({ processors: createRegistry([...builtinProcessors, add]), faults: faults?.hook });
}

/** A over ds (100 ids, batches of 10), B over A's outputs, C over B's outputs. */
async function chain(deps: FakeDeps, o: { c?: boolean } = {}) {
  await seedDataset(deps, 'ds', 100, { chunk: 50 });
  const job = (jobId: string, datasetId: string, config: Record<string, unknown>) =>
    createJob(deps, {
      jobId,
      datasetId,
      processor: { name: 'add' },
      config,
      batching: { by: 'count', size: 10 },
    });
  await job('a', 'ds', { add: 1, reject: true });
  await job('b', 'a.outputs', { add: 10 });
  if (o.c) await job('c', 'b.outputs', { add: 100 });
}

let runs = 0;
/** Plan, process every batch in order, finalize: the run's manifest. */
async function run(deps: FakeDeps, input: RunInput): Promise<ManifestItem[]> {
  const runId = `run-${++runs}`;
  const plan = await planRun(deps, input, runId);
  const manifest = await manifestOf(deps, plan.manifestKey);
  for (const batch of manifest) {
    await processBatch(
      deps,
      { jobId: input.jobId, runId, mode: input.mode, batch },
      quietWorker(`w-${runId}-${batch.start}`),
    ).catch(() => undefined);
  }
  await finalizeRun(deps, { jobId: input.jobId, runId });
  return manifest;
}

const ranges = (m: readonly ManifestItem[]) => m.map((b) => `${b.start}-${b.end}`);

async function outputsOf(deps: FakeDeps, jobId: string, start: number, end: number) {
  const body = await deps.objects.get(
    deps.buckets.work,
    outputKeyOf(jobId, { kind: 'inventory' }, { start, end }),
  );
  const text = body ? Buffer.from(body).toString('utf8') : '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: number; output: { n: number } });
}

describe('jobs over other jobs (dependencies)', () => {
  it('refuses producers that are missing, itself, over other ids, or that would close a cycle', async () => {
    const deps = env();
    await seedDataset(deps, 'ds', 20);
    await seedDataset(deps, 'other', 20);
    const spec = (o: Record<string, unknown>) => ({
      jobId: 'b',
      processor: { name: 'add' },
      batching: { by: 'count', size: 10 },
      ...o,
    });
    const rule = async (o: Record<string, unknown>) => {
      const e = await createJob(deps, spec(o)).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).violations.map((v) => `${v.field}: ${v.rule}`);
    };
    expect(await rule({ datasetId: 'a.outputs' })).toEqual([
      'datasetId: names the outputs of job a, which does not exist',
    ]);
    await createJob(deps, spec({ jobId: 'a', datasetId: 'ds' }));
    expect(await rule({ datasetId: 'ds', dependsOn: [{ jobId: 'b' }] })).toEqual([
      'dependsOn[0].jobId: must not be the job itself',
    ]);
    expect(await rule({ datasetId: 'other', dependsOn: [{ jobId: 'a' }] })).toEqual([
      'dependsOn[0].jobId: must be a job over the same ids: a reads data set ds, this job reads other',
    ]);
    expect(await rule({ datasetId: 'ds', dependsOn: [{ jobId: 'zz' }] })).toEqual([
      'dependsOn[0].jobId: must name an existing job (zz)',
    ]);
    // Nothing was written by the refusals: no job b, and no outputs data set for a missing job.
    expect(await deps.jobs.getJob('b')).toBeUndefined();
    expect(await deps.catalog.getDataset('a.outputs')).toBeUndefined();

    await createJob(deps, spec({ datasetId: 'a.outputs' }));
    expect(await deps.catalog.getDataset('a.outputs')).toMatchObject({ outputsOf: 'a' });
    // Nothing is registered into a job's outputs, nor into another data set of the same registration.
    const entry = { count: 1, location: 's3://data/x.json', format: 'object' as const, weights: 1 };
    const refused = await registerPlanned(deps, {
      byDataset: new Map([
        ['ds', [entry]],
        ['a.outputs', [entry]],
      ]),
      skipped: [],
      problems: [],
    }).catch((x: unknown) => x);
    expect((refused as ValidationError).violations).toEqual([
      { field: 'datasetId', rule: 'is the outputs of job a: nothing is registered into it' },
    ]);
    expect((await deps.catalog.getDataset('ds'))?.highId).toBe(20);
    await expect(deleteJob(deps, 'a')).rejects.toBeInstanceOf(JobInUseError);
    // Forced away and created again over b's outputs: a -> b -> a.
    await deleteJob(deps, 'a', { force: true });
    expect(await rule({ jobId: 'a', datasetId: 'ds', dependsOn: [{ jobId: 'b' }] })).toEqual([
      'dependsOn: must not make a cycle: a -> b -> a',
    ]);
  });

  it('plans a consumer only over what its producer has READY, and reads its outputs by id', async () => {
    const deps = env();
    await chain(deps);
    expect(await run(deps, { jobId: 'b', mode: 'incremental' })).toEqual([]);
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 40 });
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual([
      '1-10',
      '11-20',
      '21-30',
      '31-40',
    ]);
    // b adds 10 to what a wrote (n + 1); the ids a set aside (7, 14) are passed by, not set aside again.
    const out = await outputsOf(deps, 'b', 1, 10);
    expect(out.map((l) => l.id)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10]);
    expect(out[0]?.output).toEqual({ n: 1 + 1 + 10 });
    expect(await deps.exceptions.counts('b')).toMatchObject({ OPEN: 0 });
    const bBatch = await deps.batches.getBatch('b', { kind: 'inventory' }, 1);
    expect(bBatch?.consumed).toMatch(/^sha256:/);
  });

  it('waits on a producer batch under a live lease, and the producer waits on a consumer holding it', async () => {
    const deps = env();
    await chain(deps);
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 20 });
    // a's worker takes batch 11-20 again (a backfill of its own) and holds it.
    const aLease = await deps.leases.acquire({
      jobId: 'a',
      scope: { kind: 'inventory' },
      start: 11,
      owner: 'a-worker',
      runId: 'a-redo',
      leaseMs: 60_000,
      policy: 'redo-unless-same-run',
    });
    expect(aLease.outcome).toBe('ACQUIRED');
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual(['1-10']);

    // The other way: b's worker locks a's batch 1-10 while it works; a cannot take it meanwhile.
    const [ref] = (await collect(deps.batches.list('a', { kind: 'inventory' }))).map((b) => ({
      jobId: 'a',
      start: b.start,
      end: b.end,
      token: b.token,
      completedAt: b.completedAt ?? '',
    }));
    const lock = await deps.leases.lockRead({
      ref: ref as NonNullable<typeof ref>,
      until: deps.clock.now() + 60_000,
    });
    expect(lock).toBeDefined();
    const take = () =>
      deps.leases.acquire({
        jobId: 'a',
        scope: { kind: 'inventory' },
        start: 1,
        owner: 'a2',
        runId: 'a-redo-2',
        leaseMs: 60_000,
        policy: 'redo-unless-same-run',
      });
    expect((await take()).outcome).toBe('BUSY');
    await deps.leases.releaseRead(lock as NonNullable<typeof lock>);
    expect((await take()).outcome).toBe('ACQUIRED');
  });

  it('a late release of a lapsed lock does not free the lock a later reader holds', async () => {
    const deps = env();
    await chain(deps);
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 10 });
    const b = await deps.batches.getBatch('a', { kind: 'inventory' }, 1);
    const ref = { jobId: 'a', start: 1, end: 10, token: b?.token ?? 0, completedAt: b?.completedAt ?? '' };
    const first = await deps.leases.lockRead({ ref, until: deps.clock.now() + 1_000 });
    deps.clock.advance(2_000);
    const second = await deps.leases.lockRead({ ref, until: deps.clock.now() + 60_000 });
    expect(second?.epoch).toBe((first?.epoch ?? 0) + 1);
    await deps.leases.releaseRead(first as NonNullable<typeof first>);
    const held = await deps.batches.getBatch('a', { kind: 'inventory' }, 1);
    expect(held?.readers).toBe(1);
  });

  it('a producer redoing a range makes exactly the consumer batches over it stale, then redone once', async () => {
    const deps = env();
    await chain(deps, { c: true });
    await run(deps, { jobId: 'a', mode: 'incremental' });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    await run(deps, { jobId: 'c', mode: 'incremental' });
    expect(await collect(staleBatches(deps, (await deps.jobs.getJob('b')) as never))).toEqual([]);

    await updateJobConfig(deps, 'a', { add: 2, reject: true });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 25, idEnd: 44 });
    const stale = await collect(staleBatches(deps, (await deps.jobs.getJob('b')) as never));
    expect(stale.map((s) => s.batch.start)).toEqual([21, 31, 41]);

    // b's next incremental run reopens and redoes exactly those; c waits on b's reopened batches meanwhile.
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual(['21-30', '31-40', '41-50']);
    expect((await outputsOf(deps, 'b', 21, 30)).find((l) => l.id === 25)?.output).toEqual({ n: 25 + 2 + 10 });
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual([]);
    // c: its batches over b's redone ones.
    expect(ranges(await run(deps, { jobId: 'c', mode: 'incremental' }))).toEqual(['21-30', '31-40', '41-50']);
    expect((await outputsOf(deps, 'c', 41, 50)).find((l) => l.id === 44)?.output).toEqual({
      n: 44 + 2 + 10 + 100,
    });
    expect(ranges(await run(deps, { jobId: 'c', mode: 'incremental' }))).toEqual([]);
  });

  it('a plan that crashed after reopening a stale batch leaves it for the next plan, redone once', async () => {
    const faults = new FaultSwitch();
    const deps = env(faults);
    await chain(deps);
    await run(deps, { jobId: 'a', mode: 'incremental' });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    await updateJobConfig(deps, 'a', { add: 3, reject: true });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 11, idEnd: 30 });
    faults.crashAt('plan.afterReopen');
    await expect(planRun(deps, { jobId: 'b', mode: 'incremental' }, 'crashed')).rejects.toThrow(/injected/i);
    const reopened = await deps.batches.getBatch('b', { kind: 'inventory' }, 11);
    expect([reopened?.status, reopened?.staleFrom]).toEqual(['PENDING', expect.stringContaining('a 11-20')]);
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual(['11-20', '21-30']);
    expect(ranges(await run(deps, { jobId: 'b', mode: 'incremental' }))).toEqual([]);
    const redone = await deps.batches.getBatch('b', { kind: 'inventory' }, 11);
    expect([redone?.status, redone?.staleFrom]).toEqual(['SUCCEEDED', undefined]);
  });
});
