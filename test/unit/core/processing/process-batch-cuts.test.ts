import { describe, expect, it } from 'vitest';
import type { Deps } from '../../../../core/deps.ts';
import { ValidationError } from '../../../../core/errors.ts';
import type { ManifestItem, ProcessBatchEvent } from '../../../../core/events.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import type { CutStore } from '../../../../core/ports/index.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { expectTiling, manifestOf } from '../../../support/inventory-checks.ts';
import { collect, quietWorker, seedJob } from '../../../support/seed-data.ts';

/** 250 ids in batches of 1, planned by run-1 at a concurrency of 1: cuts from 100 and 199 are left to workers. */
async function planFarAhead() {
  const deps = fakeDeps();
  await seedJob(deps, { ids: 250, size: 1 });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', maxConcurrency: 1 }, 'run-1');
  return { deps, manifest: await manifestOf(deps, plan.manifestKey) };
}

const event = (item: ManifestItem | undefined): ProcessBatchEvent => ({
  jobId: 'j',
  runId: 'run-1',
  mode: 'incremental',
  batch: item as ManifestItem,
});

/** The cut store with its finishCut calls counted, and refused for the cuts in `broken`. */
function watched(cuts: CutStore, broken: readonly number[] = []) {
  const finished: number[] = [];
  const store: CutStore = {
    cutNew: (c) => cuts.cutNew(c),
    createCut: (c) => cuts.createCut(c),
    pendingCuts: (jobId) => cuts.pendingCuts(jobId),
    finishCut: async (jobId, from) => {
      finished.push(from);
      if (broken.includes(from)) throw new ValidationError([{ field: 'batches', rule: 'must be a list' }]);
      return cuts.finishCut(jobId, from);
    },
  };
  return { store, finished };
}

const pendingFroms = async (deps: Deps) => (await collect(deps.cuts.pendingCuts('j'))).map((c) => c.from);

describe('processBatch with cuts left to the workers', () => {
  it('has the worker ahead create the next cut, so the cut’s own workers find their batches', async () => {
    const { deps, manifest } = await planFarAhead();
    const { store, finished } = watched(deps.cuts);
    const worker = { ...deps, cuts: store };

    const ahead = await processBatch(worker, event(manifest.find((m) => m.ahead === 100)), quietWorker('w0'));
    const first = await deps.batches.getBatch('j', { kind: 'inventory' }, 100);
    const own = await processBatch(worker, event(manifest[99]), quietWorker('w1'));

    expect([ahead.outcome, own.outcome]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect([first?.status, first?.reservedBy]).toEqual(['PENDING', 'run-1']);
    expect(finished).toEqual([100]);
    expect(await pendingFroms(deps)).toEqual([199]);
    await expectTiling(deps, 'j');
  });

  it('has a worker that finds no record create its cut and take the lease', async () => {
    const { deps, manifest } = await planFarAhead();
    const late = manifest.find((m) => m.start === 210);

    const report = await processBatch(deps, event(late), quietWorker('w'));

    expect(late?.cut).toBe(199);
    expect([report.outcome, report.start, report.itemsSucceeded]).toEqual(['SUCCEEDED', 210, 1]);
    expect(await pendingFroms(deps)).toEqual([100]);
    const ahead = await processBatch(deps, event(manifest.find((m) => m.ahead === 199)), quietWorker('w2'));
    expect(ahead.outcome).toBe('SUCCEEDED');
    await expectTiling(deps, 'j');
  });

  it('has ten workers that find no record at once create their cut once, and each take its own lease', async () => {
    const { deps, manifest } = await planFarAhead();
    const items = manifest.filter((m) => m.cut === 199).slice(10, 20);

    const reports = await Promise.all(
      items.map((item, k) => processBatch(deps, event(item), quietWorker(`w${k}`))),
    );

    expect(reports.map((r) => [r.outcome, r.start])).toEqual(items.map((m) => ['SUCCEEDED', m.start]));
    const batches = await expectTiling(deps, 'j');
    expect(batches.filter((b) => b.start >= 199)).toHaveLength(52);
    expect(batches.filter((b) => b.status === 'SUCCEEDED').map((b) => b.start)).toEqual(
      items.map((m) => m.start),
    );
  });

  it('processes every item once when the whole manifest runs in order, no cut left', async () => {
    const { deps, manifest } = await planFarAhead();

    for (const [i, item] of manifest.entries())
      expect((await processBatch(deps, event(item), quietWorker(`w${i}`))).outcome).toBe('SUCCEEDED');

    expect(await pendingFroms(deps)).toEqual([]);
    const batches = await expectTiling(deps, 'j');
    expect(batches.every((b) => b.status === 'SUCCEEDED')).toBe(true);
    expect(batches.reduce((n, b) => n + (b.itemsSucceeded ?? 0), 0)).toBe(250);
  });

  it('fails no batch when the cut ahead cannot be created, and leaves it to the cut’s workers', async () => {
    const { deps, manifest } = await planFarAhead();
    const worker = { ...deps, cuts: watched(deps.cuts, [199]).store };
    const warned: string[] = [];
    const log = { info() {}, warn: (m: string) => warned.push(m) };

    const report = await processBatch(worker, event(manifest.find((m) => m.ahead === 199)), {
      invocationId: 'w',
      log,
    });

    expect(report.outcome).toBe('SUCCEEDED');
    expect(warned).toEqual(['creating the cut ahead failed; its workers will create it']);
    await expect(processBatch(worker, event(manifest[200]), quietWorker('w2'))).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await deps.batches.getBatch('j', { kind: 'inventory' }, 201)).toBeUndefined();
  });
});
