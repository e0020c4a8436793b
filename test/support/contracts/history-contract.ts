import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../core/model.ts';
import type { NewBatch } from '../../../core/ports/index.ts';
import { collect } from '../seed-data.ts';
import {
  AT,
  type ContractEnv,
  INVENTORY,
  jobRecord,
  jobWithBatches,
  LATER,
  type MakeEnv,
} from './contract-env.ts';

const LAST = '2026-01-03T00:00:00.000Z';
const change = (tag: string) => ({ config: { tag }, configHash: `hash-${tag}`, processorVersion: '1' });
const part = (start: number, end: number): NewBatch => ({
  start,
  end,
  stride: 1,
  count: end - start + 1,
  weight: end - start + 1,
});

/** Split batch `start` (of 10 ids, reserved by run-1) in two at `start + 4`, at instant `at`. */
async function split(e: ContractEnv, start: number, at: string): Promise<boolean> {
  const batch = (await e.deps.batches.getBatch('j', INVENTORY, start)) as Batch;
  return e.deps.splits.splitBatch({
    jobId: 'j',
    batch,
    parts: [part(start, start + 3), part(start + 4, start + 9)],
    at,
    outputKey: `outputs/${start}-${start + 9}`,
    runId: 'run-1',
    reservedUntil: e.clock.now() + 60_000,
    now: e.clock.now(),
    staleRuns: [],
  });
}

/**
 * JobStore.configHistory and SplitStore.listSplits: the job's config history and its batch splits in time order
 * (or newest first), within a window whose bounds are inclusive. Runs on the fakes and on the DynamoDB adapters.
 */
export function describeHistoryContract(name: string, makeEnv: MakeEnv): void {
  describe(`history listings on ${name}`, () => {
    it('JobStore.configHistory lists the creation and each change in time order, within the window', async () => {
      const { deps } = await makeEnv('history-config');
      await deps.jobs.putJob(jobRecord());
      await deps.jobs.updateJobConfig('j', change('b'), LATER);
      await deps.jobs.updateJobConfig('j', change('c'), LAST);

      const all = await collect(deps.jobs.configHistory('j'));
      const newest = await collect(deps.jobs.configHistory('j', { newestFirst: true, pageSize: 1 }));
      const window = await collect(deps.jobs.configHistory('j', { since: LATER, until: LATER }));

      expect(all).toEqual([
        { jobId: 'j', at: AT, config: {}, configHash: 'hash-a', processorVersion: '1' },
        { jobId: 'j', at: LATER, config: { tag: 'b' }, configHash: 'hash-b', processorVersion: '1' },
        { jobId: 'j', at: LAST, config: { tag: 'c' }, configHash: 'hash-c', processorVersion: '1' },
      ]);
      expect(newest.map((v) => v.at)).toEqual([LAST, LATER, AT]);
      expect(window.map((v) => v.configHash)).toEqual(['hash-b']);
      expect(await collect(deps.jobs.configHistory('nope'))).toEqual([]);
    });

    it('SplitStore.listSplits lists each split with its parts in time order, within the window', async () => {
      const env = await makeEnv('history-splits');
      await jobWithBatches(env, 3);
      expect(await split(env, 21, LATER)).toBe(true);
      expect(await split(env, 1, LATER)).toBe(true);
      expect(await split(env, 11, LAST)).toBe(true);

      const all = await collect(env.deps.splits.listSplits('j'));
      const newest = await collect(env.deps.splits.listSplits('j', { newestFirst: true, pageSize: 1 }));
      const window = await collect(env.deps.splits.listSplits('j', { since: AT, until: LATER }));

      expect(all).toEqual([
        {
          jobId: 'j',
          at: LATER,
          from: { start: 1, end: 10 },
          parts: [
            [1, 4],
            [5, 10],
          ],
        },
        {
          jobId: 'j',
          at: LATER,
          from: { start: 21, end: 30 },
          parts: [
            [21, 24],
            [25, 30],
          ],
        },
        {
          jobId: 'j',
          at: LAST,
          from: { start: 11, end: 20 },
          parts: [
            [11, 14],
            [15, 20],
          ],
        },
      ]);
      expect(newest.map((s) => s.from.start)).toEqual([11, 21, 1]);
      expect(window.map((s) => s.from.start)).toEqual([1, 21]);
    });
  });
}
