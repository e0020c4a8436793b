import { describe, expect, it } from 'vitest';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { appendRecords, collect, coreEnv, seedDataset } from '../../support/core-env.ts';
import { expectTiling, idCounts, manifestOf } from '../../support/inventory-checks.ts';

/** Item weights are bytes; a weight target is at least 1 KiB. */
const KiB = 1024;

const spec = (jobId: string, datasetId: string, batching: unknown = { by: 'count', size: 100 }) => ({
  jobId,
  datasetId,
  processor: { name: 'noop' },
  batching,
});

describe('planRun incremental', () => {
  it('reserves new ranges from the watermark to the high id and writes them as a manifest', async () => {
    const { deps } = await coreEnv('plan-incremental');
    await seedDataset(deps, 'ds', 1050);
    await createJob(deps, spec('j', 'ds'));

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');

    expect(plan).toMatchObject({
      batches: 11,
      items: 1050,
      newBatches: 11,
      manifestKey: 'manifests/j/run-1.json',
    });
    const manifest = await manifestOf(deps, plan.manifestKey);
    // Each item carries the catalog entry it lies in, so that ProcessBatch need not read the catalog.
    const entry = (start: number, count: number) => ({
      start,
      count,
      location: `s3://${deps.buckets.data}/ds/part-${String(start).padStart(10, '0')}.jsonl`,
      format: 'jsonl',
    });
    expect(manifest[0]).toEqual({
      start: 1,
      end: 100,
      stride: 1,
      scope: 'inventory',
      entries: [entry(1, 1000)],
    });
    expect(manifest[10]).toEqual({
      start: 1001,
      end: 1050,
      stride: 1,
      scope: 'inventory',
      entries: [entry(1001, 50)],
    });
    await expectTiling(deps, 'j');
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(1051);
  });

  it('plans only what is new on the next run', async () => {
    const { deps } = await coreEnv('plan-only-new');
    await seedDataset(deps, 'ds', 300);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });
    await appendRecords(deps, 'ds', 150);

    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-2');
    const manifest = await manifestOf(deps, plan.manifestKey);
    // run-1 finished without processing its batches: they are open again, and the new ids follow.
    expect(manifest.map((b) => b.start)).toEqual([1, 101, 201, 301, 401]);
    expect(plan.newBatches).toBe(2);
    await expectTiling(deps, 'j');
  });

  it('is idempotent per run id: a retried Plan returns the same manifest', async () => {
    const { deps } = await coreEnv('plan-idempotent');
    await seedDataset(deps, 'ds', 500);
    await createJob(deps, spec('j', 'ds'));
    const first = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const again = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    expect(again.manifestKey).toBe(first.manifestKey);
    expect(again.batches).toBe(first.batches);
    expect((await collect(deps.batches.list('j', { kind: 'inventory' }))).length).toBe(5);
  });

  it('respects maxBatches and continues from there on the next run', async () => {
    const { deps } = await coreEnv('plan-max-batches');
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, spec('j', 'ds'));
    const a = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 3 }, 'run-1');
    expect(a.batches).toBe(3);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(301);
  });

  it('reads the job and the data set record once for all its cuts, each going on from where the last one left', async () => {
    const { deps } = await coreEnv('plan-job-reads');
    await seedDataset(deps, 'ds', 2500, { chunk: 2500 });
    await createJob(deps, spec('j', 'ds', { by: 'count', size: 10 }));
    const calls: string[] = [];
    const counted = <T extends object>(store: T): T =>
      new Proxy(store, {
        get(t, prop, receiver) {
          const value = Reflect.get(t, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(String(prop));
            return value.apply(t, args);
          };
        },
      });
    const plan = await planRun(
      { ...deps, jobs: counted(deps.jobs), cuts: counted(deps.cuts), catalog: counted(deps.catalog) },
      { jobId: 'j', mode: 'incremental' },
      'run-1',
    );
    // 250 batches in three cuts (99, 99, 52); the job is read once, when Plan starts. Plan creates the first
    // cut; the other two start past the first 40 items (4 x the job's concurrency of 10), left to the workers.
    expect(plan.newBatches).toBe(250);
    expect(calls.filter((c) => c === 'cutNew')).toHaveLength(3);
    expect(calls.filter((c) => c === 'createCut')).toHaveLength(1);
    expect(calls.filter((c) => c === 'getJob')).toHaveLength(1);
    // The data set record that names the source also gives the high id.
    expect(calls.filter((c) => c === 'getDataset')).toHaveLength(1);
    await expectTiling(deps, 'j');
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(2501);
  });

  it('cuts batches by cumulative weight, a too heavy item alone', async () => {
    const { deps } = await coreEnv('plan-weight');
    const weights = [5, 5, 5, 50, 1, 1, 1, 1, 9, 2];
    await seedDataset(deps, 'ds', 10, { weights: (i) => (weights[i - 1] as number) * KiB });
    await createJob(deps, spec('j', 'ds', { by: 'weight', target: 10 * KiB }));
    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => [b.start, b.end])).toEqual([
      [1, 2],
      [3, 3],
      [4, 4],
      [5, 8],
      [9, 9],
      [10, 10],
    ]);
    const batches = await expectTiling(deps, 'j');
    expect(batches.map((b) => b.weight / KiB)).toEqual([10, 5, 50, 4, 9, 2]);
  });
});

describe('planRun with 8 concurrent planners', () => {
  it('never reserves an id twice and never leaves a gap, over many rounds', async () => {
    const { deps } = await coreEnv('plan-concurrent');
    await seedDataset(deps, 'ds', 0);
    await createJob(deps, spec('j', 'ds', { by: 'count', size: 7 }));
    const manifests = [];
    for (let round = 0; round < 6; round++) {
      await appendRecords(deps, 'ds', 1500 + round * 37, { chunk: 500 });
      const plans = await Promise.all(
        Array.from({ length: 8 }, (_, p) =>
          planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 40 }, `r${round}-p${p}`),
        ),
      );
      for (const plan of plans) manifests.push(await manifestOf(deps, plan.manifestKey));
    }
    const high = (await deps.catalog.getDataset('ds'))?.highId as number;
    const seen = idCounts(manifests);
    const twice = [...seen.entries()].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    const batches = await expectTiling(deps, 'j');
    const planned = batches.at(-1)?.end as number;
    for (let id = 1; id <= planned; id++) expect(seen.get(id), `id ${id}`).toBe(1);
    expect(planned).toBeLessThanOrEqual(high);
  });
});

describe('planRun backfill', () => {
  it('reuses batch boundaries inside the bounds and splits a batch the bounds cut, never overrunning them', async () => {
    const { deps } = await coreEnv('plan-backfill');
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });

    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 150, idEnd: 420 }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => [b.start, b.end])).toEqual([
      [150, 200],
      [201, 300],
      [301, 400],
      [401, 420],
    ]);
    expect(plan.items).toBe(271);
    const batches = await expectTiling(deps, 'j');
    expect(batches.filter((b) => b.splitFrom).map((b) => [b.start, b.end])).toEqual([
      [101, 149],
      [150, 200],
      [401, 420],
      [421, 500],
    ]);
  });

  it('leaves ranges reserved by another live run alone', async () => {
    const { deps } = await coreEnv('plan-backfill-reserved');
    await seedDataset(deps, 'ds', 300);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 150, idEnd: 250 }, 'run-2');
    expect(plan.batches).toBe(0);
    expect(plan.skippedBusy).toBe(2);
    expect((await deps.batches.getBatch('j', { kind: 'inventory' }, 101))?.end).toBe(200);
  });

  it('plans past the watermark up to idEnd when the bounds reach beyond it', async () => {
    const { deps } = await coreEnv('plan-backfill-past');
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 2 }, 'run-1');
    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 350, idEnd: 480 }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => [b.start, b.end])).toEqual([
      [350, 449],
      [450, 480],
    ]);
    await expectTiling(deps, 'j');
  });

  it('never touches a range under a live lease', async () => {
    const { deps } = await coreEnv('plan-backfill-lease');
    await seedDataset(deps, 'ds', 300);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: 'x' });
    await deps.leases.acquire({
      jobId: 'j',
      scope: { kind: 'inventory' },
      start: 101,
      owner: 'w',
      runId: 'run-1',
      leaseMs: 60_000,
      policy: 'skip-succeeded',
    });
    const plan = await planRun(deps, { jobId: 'j', mode: 'backfill', idStart: 50, idEnd: 250 }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((b) => b.start)).toEqual([50, 201]);
    expect(plan.skippedBusy).toBe(1);
    // The leased batch was not split either.
    expect((await deps.batches.getBatch('j', { kind: 'inventory' }, 101))?.end).toBe(200);
    await expectTiling(deps, 'j');
  });
});

describe('planRun retry-failed and sample', () => {
  it('retry-failed plans failed batches and expired leases, nothing new', async () => {
    const { deps, clock } = await coreEnv('plan-retry');
    await seedDataset(deps, 'ds', 500);
    await createJob(deps, spec('j', 'ds'));
    await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 3 }, 'run-1');
    await deps.runs.finishRun('j', 'run-1', { status: 'PARTIAL', finishedAt: 'x' });
    const inv = {
      jobId: 'j',
      scope: { kind: 'inventory' as const },
      owner: 'w',
      runId: 'run-1',
      leaseMs: 1000,
      policy: 'skip-succeeded' as const,
    };
    const a = await deps.leases.acquire({ ...inv, start: 1 });
    const b = await deps.leases.acquire({ ...inv, start: 101 });
    await deps.leases.acquire({ ...inv, start: 201 });
    if (a.outcome !== 'ACQUIRED' || b.outcome !== 'ACQUIRED') throw new Error('not acquired');
    const lease = { jobId: 'j', scope: inv.scope, owner: 'w', runId: 'run-1', configHash: 'h' };
    await deps.commits.commit({
      ...lease,
      start: 1,
      end: 100,
      token: a.token,
      attempt: a.attempt,
      startedAt: a.startedAt,
      itemsSucceeded: 100,
      itemsExcepted: 0,
      exceptions: [],
    });
    await deps.commits.fail({
      ...lease,
      start: 101,
      end: 200,
      token: b.token,
      attempt: b.attempt,
      startedAt: b.startedAt,
      error: { name: 'Error', message: 'boom' },
      outcome: 'FAILED',
    });
    clock.advance(5000);

    const plan = await planRun(deps, { jobId: 'j', mode: 'retry-failed' }, 'run-2');
    const m = await manifestOf(deps, plan.manifestKey);
    expect(m.map((x) => x.start)).toEqual([101, 201]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(301);
  });

  it('sample plans every Nth id up to a limit, apart from the inventory', async () => {
    const { deps } = await coreEnv('plan-sample');
    await seedDataset(deps, 'ds', 1000);
    await createJob(deps, spec('j', 'ds', { by: 'count', size: 4 }));
    const plan = await planRun(deps, { jobId: 'j', mode: 'sample', every: 97, limit: 9 }, 'run-s');
    const m = await manifestOf(deps, plan.manifestKey);
    const entries = [
      {
        start: 1,
        count: 1000,
        location: `s3://${deps.buckets.data}/ds/part-0000000001.jsonl`,
        format: 'jsonl',
      },
    ];
    expect(m).toEqual([
      { start: 1, end: 292, stride: 97, scope: 'sample', entries },
      { start: 389, end: 680, stride: 97, scope: 'sample', entries },
      { start: 777, end: 777, stride: 97, scope: 'sample', entries },
    ]);
    expect(plan.items).toBe(9);
    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toEqual([]);
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(1);
    expect((await collect(deps.batches.list('j', { kind: 'sample', runId: 'run-s' }))).length).toBe(3);
  });
});
