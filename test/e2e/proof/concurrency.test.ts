import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputKeyOf } from '../../../core/contracts/s3-keys.ts';
import type { ManifestItem } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { barrier } from '../../support/gate.ts';
import { expectTiling, idCounts, manifestOf } from '../../support/inventory-checks.ts';
import { startTestLocal, type TestLocal } from '../local-engine/support.ts';
import { type Connection, listKeys, outputObjects, startRun, waitForExecution } from './support.ts';

const ITEMS = 100_000;
const BATCH = 1_000;
const RUNS = 8;
// 8 x 13 >= 100 batches: every run plans a share, so that the 8 planners race on the watermark all along.
const MAX_BATCHES = 13;
/**
 * Each planner wins one cut of at most 13 batches (the 8th the last 9): the first 8 passages past a won cut are
 * one per run, and each waits there until all 8 runs have won theirs. The 8 executions are in Plan at once.
 */
const allPlanning = barrier(RUNS);

let local: TestLocal;
let c: Connection;

beforeAll(async () => {
  local = await startTestLocal([], {
    faults: (point) => (point === 'plan.afterCut' ? allPlanning() : undefined),
  });
  const { clients, deps, state } = local.mode;
  c = { clients, sfn: local.sfn, deps, stateMachineArn: state.stateMachineArn, tables: state.tables };
});

afterAll(async () => {
  await local?.stop();
});

/** Ids in [1, last] not seen exactly once. */
function notExactlyOnce(perId: ReadonlyMap<number, number>, last: number): number[] {
  const wrong: number[] = [];
  for (let id = 1; id <= last; id++) if (perId.get(id) !== 1) wrong.push(id);
  for (const id of perId.keys()) if (id < 1 || id > last) wrong.push(id);
  return wrong;
}

describe('8 simultaneous executions of one incremental job', () => {
  it('reserve disjoint ranges, process every item exactly once and keep the tiling', async () => {
    const { deps } = c;
    await seedDataset(deps, 'crowd', ITEMS, { chunk: BATCH });
    await createJob(deps, {
      jobId: 'crowd-job',
      datasetId: 'crowd',
      processor: { name: 'noop' },
      batching: { by: 'count', size: BATCH },
      maxConcurrency: 4,
    });

    const names = Array.from({ length: RUNS }, (_, i) => `crowd-${i}`);
    const arns = await Promise.all(
      names.map((name) =>
        startRun(c, { jobId: 'crowd-job', mode: 'incremental', maxBatches: MAX_BATCHES }, name),
      ),
    );
    const outs = await Promise.all(arns.map((arn) => waitForExecution(c.sfn, arn)));

    expect(outs.map((o) => `${o.status} ${o.error ?? ''}`.trim())).toEqual(names.map(() => 'SUCCEEDED'));
    const manifestKeys = await listKeys(c.clients.s3, deps.buckets.work, 'manifests/crowd-job/');
    expect(manifestKeys.sort()).toEqual(names.map((n) => `manifests/crowd-job/${n}.json`).sort());
    const manifests: ManifestItem[][] = [];
    for (const key of manifestKeys) manifests.push(await manifestOf(deps, key));
    console.log(`concurrency: batches planned per run: ${manifests.map((m) => m.length).join(' ')}`);
    expect(manifests.filter((m) => m.length > 0).length, 'runs that planned a share').toBe(RUNS);
    expect(notExactlyOnce(idCounts(manifests), ITEMS), 'ids in no manifest or in two').toEqual([]);

    const batches = await expectTiling(deps, 'crowd-job');
    expect(batches).toHaveLength(ITEMS / BATCH);
    expect(batches.filter((b) => b.status !== 'SUCCEEDED')).toEqual([]);
    const plannedBy = new Map(
      manifestKeys.flatMap((key, i) => (manifests[i] ?? []).map((b) => [b.start, key] as const)),
    );
    for (const b of batches)
      expect(plannedBy.get(b.start)).toBe(`manifests/crowd-job/${b.completedRunId}.json`);

    const objects = await outputObjects(c, 'outputs/crowd-job/');
    const perId = new Map<number, number>();
    for (const id of objects.flatMap((o) => o.ids)) perId.set(id, (perId.get(id) ?? 0) + 1);
    expect(objects.map((o) => o.key).sort()).toEqual(
      batches.map((b) => outputKeyOf('crowd-job', { kind: 'inventory' }, b)).sort(),
    );
    expect(notExactlyOnce(perId, ITEMS), 'ids in no output line or in two').toEqual([]);
    const attempts = await collect(deps.attempts.list('crowd-job', { kind: 'inventory' }));
    expect(attempts.map((a) => a.outcome)).toEqual(batches.map(() => 'SUCCEEDED'));
  });
});
