import { describe, expect, it } from 'vitest';
import { ContentionError, JobDeletingError, JobNotFoundError } from '../../../core/errors.ts';
import type { NewCut } from '../../../core/ports/index.ts';
import { collect } from '../seed-data.ts';
import {
  AT,
  batchesFrom,
  type ContractEnv,
  cutOf,
  INVENTORY,
  jobRecord,
  type MakeEnv,
} from './contract-env.ts';

/** A fresh environment with job `j` (watermark 1) and no batch. */
async function withJob(makeEnv: MakeEnv, label: string): Promise<ContractEnv> {
  const env = await makeEnv(label);
  await env.deps.jobs.putJob(jobRecord());
  return env;
}

const watermarkOf = async (e: ContractEnv) => (await e.deps.jobs.getJob('j'))?.watermark;
const batchesOf = (e: ContractEnv) => collect(e.deps.batches.list('j', INVENTORY));
const pendingOf = (e: ContractEnv) => collect(e.deps.cuts.pendingCuts('j'));

/** Delete the job's partition page by page (keeping its record), as deleteJob does once the job is DELETING. */
async function deleteAllButMeta(e: ContractEnv): Promise<void> {
  while ((await e.deps.jobs.deletePage('j', 100)) > 0) {
    // until the page comes back empty
  }
}

/**
 * CutStore: the watermark moves only from `cut.from`, a cut is created once with the drop of its record, a cut
 * found gone is success unless its job is gone or being deleted. Runs on the fakes and on the DynamoDB adapter.
 */
export function describeCutContract(name: string, makeEnv: MakeEnv): void {
  describe(`CutStore on ${name}`, () => {
    describe('CutStore.cutNew', () => {
      it('moves the watermark past the last batch and records the cut, creating no batch yet', async () => {
        const e = await withJob(makeEnv, 'cut-new-records');
        const cut = cutOf(1, 3);

        expect(await e.deps.cuts.cutNew(cut)).toBe(true);

        expect(await watermarkOf(e)).toBe(31);
        expect(await pendingOf(e)).toEqual([cut]);
        expect(await batchesOf(e)).toEqual([]);
      });

      it('returns false to a planner that read a watermark another one has moved since', async () => {
        const e = await withJob(makeEnv, 'cut-new-stale');
        expect(await e.deps.cuts.cutNew(cutOf(1, 3, { runId: 'run-a' }))).toBe(true);

        expect(await e.deps.cuts.cutNew(cutOf(1, 5, { runId: 'run-b' }))).toBe(false);

        expect(await watermarkOf(e)).toBe(31);
        expect((await pendingOf(e)).map((c) => c.runId)).toEqual(['run-a']);
      });

      it('lets one of two planners cutting from the same watermark win', async () => {
        const e = await withJob(makeEnv, 'cut-new-race');
        const [a, b] = [cutOf(1, 3, { runId: 'run-a' }), cutOf(1, 5, { runId: 'run-b' })];

        const won = await Promise.all([e.deps.cuts.cutNew(a), e.deps.cuts.cutNew(b)]);

        expect(won.filter(Boolean)).toHaveLength(1);
        const winner = won[0] ? a : b;
        expect(await watermarkOf(e)).toBe((winner.batches.at(-1)?.end ?? 0) + 1);
        expect(await pendingOf(e)).toEqual([winner]);
      });

      it('refuses a job being deleted, and a missing job, writing nothing', async () => {
        const e = await withJob(makeEnv, 'cut-new-refused');
        await e.deps.jobs.markJobDeleting('j', AT);

        await expect(e.deps.cuts.cutNew(cutOf(1, 3))).rejects.toBeInstanceOf(JobDeletingError);
        await expect(e.deps.cuts.cutNew(cutOf(1, 3, { jobId: 'nope' }))).rejects.toBeInstanceOf(
          JobNotFoundError,
        );

        expect(await watermarkOf(e)).toBe(1);
        expect(await pendingOf(e)).toEqual([]);
        expect(await e.deps.jobs.getJob('nope')).toBeUndefined();
      });

      const bad: Array<[string, NewCut]> = [
        ['no batch', cutOf(1, 1, { batches: [] })],
        ['100 batches', cutOf(1, 100)],
        ['a first batch that does not start at from', cutOf(1, 3, { batches: batchesFrom(2, 3) })],
      ];
      for (const [what, cut] of bad) {
        it(`rejects a cut with ${what} as a RangeError, in both steps, writing nothing`, async () => {
          const e = await withJob(makeEnv, `cut-bad-${what}`);

          await expect(e.deps.cuts.cutNew(cut)).rejects.toThrow(RangeError);
          await expect(e.deps.cuts.createCut(cut)).rejects.toThrow(RangeError);

          expect(await watermarkOf(e)).toBe(1);
          expect(await pendingOf(e)).toEqual([]);
          expect(await batchesOf(e)).toEqual([]);
        });
      }
    });

    describe('CutStore.createCut', () => {
      it('creates every batch of the cut as PENDING, reserved for its run, and drops the cut', async () => {
        const e = await withJob(makeEnv, 'create-cut');
        const cut = cutOf(1, 4, { runId: 'run-7', at: '2026-01-01T00:05:00.000Z' });
        await e.deps.cuts.cutNew(cut);

        await e.deps.cuts.createCut(cut);

        const batches = await batchesOf(e);
        expect(batches).toEqual(
          cut.batches.map((b) => ({
            ...b,
            jobId: 'j',
            scope: INVENTORY,
            status: 'PENDING',
            attempt: 0,
            token: 0,
            plannedAt: '2026-01-01T00:05:00.000Z',
            reservedBy: 'run-7',
            reservedUntil: cut.reservedUntil,
          })),
        );
        expect(await pendingOf(e)).toEqual([]);
        expect((await collect(e.deps.batches.openBatches('j'))).map((b) => b.start)).toEqual([1, 11, 21, 31]);
      });

      it('succeeds and changes nothing when the cut was already created, by itself or by a second planner', async () => {
        const e = await withJob(makeEnv, 'create-cut-twice');
        const cut = cutOf(1, 3);
        await e.deps.cuts.cutNew(cut);
        const [recorded] = await pendingOf(e);
        await e.deps.cuts.createCut(cut);
        const before = await batchesOf(e);

        await e.deps.cuts.createCut(cut);
        await e.deps.cuts.createCut(recorded as NewCut);

        expect(await batchesOf(e)).toEqual(before);
        expect(await pendingOf(e)).toEqual([]);
        expect(await watermarkOf(e)).toBe(31);
      });

      it('refuses a cut that a deletion removed, and a cut of a missing job, creating nothing', async () => {
        const e = await withJob(makeEnv, 'create-cut-deleted');
        const cut = cutOf(1, 3);
        await e.deps.cuts.cutNew(cut);
        await e.deps.jobs.markJobDeleting('j', AT);
        await deleteAllButMeta(e);

        await expect(e.deps.cuts.createCut(cut)).rejects.toBeInstanceOf(JobDeletingError);
        await expect(e.deps.cuts.createCut(cutOf(1, 3, { jobId: 'nope' }))).rejects.toBeInstanceOf(
          JobNotFoundError,
        );

        expect(await batchesOf(e)).toEqual([]);
        expect(await pendingOf(e)).toEqual([]);
      });

      it('never creates a range twice: a recorded cut over an existing batch is refused whole, its record kept', async () => {
        const e = await withJob(makeEnv, 'create-cut-overlap');
        const first = cutOf(1, 3);
        await e.deps.cuts.cutNew(first);
        await e.deps.cuts.createCut(first);
        const next = cutOf(31, 2);
        await e.deps.cuts.cutNew(next);
        const overlapping = { ...next, batches: [...batchesFrom(31, 1), ...batchesFrom(11, 1)] };

        await expect(e.deps.cuts.createCut(overlapping)).rejects.toBeInstanceOf(ContentionError);

        expect((await batchesOf(e)).map((b) => b.start)).toEqual([1, 11, 21]);
        expect((await pendingOf(e)).map((c) => c.from)).toEqual([31]);
      });
    });

    describe('CutStore.finishCut and pendingCuts', () => {
      it('creates a recorded cut exactly as createCut does, and does nothing once it is gone', async () => {
        const e = await withJob(makeEnv, 'finish-cut');
        await e.deps.cuts.cutNew(cutOf(1, 3, { runId: 'run-3' }));

        await e.deps.cuts.finishCut('j', 1);
        const created = await batchesOf(e);
        await e.deps.cuts.finishCut('j', 1);
        await e.deps.cuts.finishCut('j', 500);

        expect(created.map((b) => [b.start, b.status, b.reservedBy])).toEqual([
          [1, 'PENDING', 'run-3'],
          [11, 'PENDING', 'run-3'],
          [21, 'PENDING', 'run-3'],
        ]);
        expect(await batchesOf(e)).toEqual(created);
        expect(await pendingOf(e)).toEqual([]);
      });

      it('lists the cuts recorded and not yet created, in id order', async () => {
        const e = await withJob(makeEnv, 'pending-cuts');
        const cuts = [cutOf(1, 99), cutOf(991, 2, { runId: 'run-2' }), cutOf(1011, 1)];
        for (const cut of cuts) await e.deps.cuts.cutNew(cut);
        await e.deps.cuts.createCut(cuts[1] as NewCut);

        expect(await pendingOf(e)).toEqual([cuts[0], cuts[2]]);
        expect(await watermarkOf(e)).toBe(1021);
      });
    });
  });
}
