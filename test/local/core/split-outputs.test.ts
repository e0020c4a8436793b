import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { outputKeyOf } from '../../../core/contracts/s3-keys.ts';
import { InjectedFaultError, ItemRejectedError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import type { Batch } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { settleMove } from '../../../core/planning/split-outputs.ts';
import type { OutputMove } from '../../../core/ports/index.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../core/validation.ts';
import { type CoreEnv, coreEnv, quietWorker, seedDataset } from '../../support/core-env.ts';
import { expectTiling, manifestOf } from '../../support/inventory-checks.ts';

/**
 * A backfill whose bounds cut a batch splits it; the batch's output object is moved into one object per part
 * (core/planning/split-outputs.ts). Whatever crashes where, the outputs end as one object per SUCCEEDED batch at its
 * range's key, every id in exactly one line or set aside, and the run that did a line is the one that last
 * committed its batch.
 */

const ITEMS = 60;
const SET_ASIDE = 7;
const INVENTORY = { kind: 'inventory' } as const;

/** Outputs the run that did the item; sets every seventh id aside. */
const stamped = defineProcessor({
  name: 'stamped',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id, ctx }) => {
    if (id % SET_ASIDE === 0) throw new ItemRejectedError('seventh', { id });
    return { run: ctx.runId };
  },
});

async function setup(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label, [stamped]);
  await seedDataset(e.deps, 'ds', ITEMS, { chunk: 30 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'stamped' },
    batching: { by: 'count', size: 20 },
    leaseSeconds: 60,
  });
  await runAll(e, 'run-1', { jobId: 'j', mode: 'incremental' });
  return e;
}

type Input = {
  jobId: 'j';
  mode: 'incremental' | 'backfill' | 'retry-failed';
  idStart?: number;
  idEnd?: number;
};

/** Plan a run and process every batch of its manifest. */
async function runAll(e: CoreEnv, runId: string, input: Input, deps = e.deps): Promise<void> {
  const plan = await planRun(deps, input, runId);
  for (const b of await manifestOf(deps, plan.manifestKey)) {
    const out = await processBatch(
      deps,
      { jobId: 'j', runId, mode: input.mode, batch: b },
      quietWorker(runId),
    );
    expect(out.outcome, `${runId} ${b.start}-${b.end}`).toBe('SUCCEEDED');
  }
}

/** The lines of every object under outputs/j/, by key. */
async function outputs(e: CoreEnv): Promise<Map<string, { id: number; output: { run: string } }[]>> {
  const page = await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/');
  const out = new Map<string, { id: number; output: { run: string } }[]>();
  for (const { key } of page.items) {
    const text = new TextDecoder().decode(await e.deps.objects.get(e.deps.buckets.work, key));
    out.set(
      key,
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
  }
  return out;
}

/** One object per SUCCEEDED batch, at its key, with the lines of its range done by the run that completed it. */
async function expectOutputsFollowInventory(e: CoreEnv, where: string): Promise<Batch[]> {
  const batches = await expectTiling(e.deps, 'j');
  const objects = await outputs(e);
  expect(
    batches.filter((b) => b.status !== 'SUCCEEDED'),
    where,
  ).toEqual([]);
  expect([...objects.keys()].sort(), where).toEqual(
    batches.map((b) => outputKeyOf('j', INVENTORY, b)).sort(),
  );
  const seen = new Map<number, number>();
  for (const b of batches) {
    const key = outputKeyOf('j', INVENTORY, b);
    expect(b.outputKey, where).toBe(key);
    expect(b.moveFrom, where).toBeUndefined();
    const lines = objects.get(key) ?? [];
    expect(b.itemsSucceeded, `${where} ${key}`).toBe(lines.length);
    for (const line of lines) {
      expect(line.id >= b.start && line.id <= b.end, `${where} ${key}: ${line.id}`).toBe(true);
      expect(line.output.run, `${where} ${key}: ${line.id}`).toBe(b.completedRunId);
      seen.set(line.id, (seen.get(line.id) ?? 0) + 1);
    }
  }
  for (let id = 1; id <= ITEMS; id++)
    expect(seen.get(id) ?? 0, `${where}: id ${id}`).toBe(id % SET_ASIDE === 0 ? 0 : 1);
  expect(await e.deps.splits.pendingMoves('j'), where).toEqual([]);
  return batches;
}

describe('a backfill whose bounds cut completed batches', () => {
  it('gives every part its own object: the redone part has the new lines, the others keep theirs', async () => {
    const e = await setup('split-out');
    await runAll(e, 'run-2', { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 });
    const batches = await expectOutputsFollowInventory(e, 'after the backfill');
    expect(batches.map((b) => [b.start, b.end, b.completedRunId])).toEqual([
      [1, 4, 'run-1'],
      [5, 20, 'run-2'],
      [21, 34, 'run-2'],
      [35, 40, 'run-1'],
      [41, 60, 'run-1'],
    ]);
    // Cut again inside a part: the part's own object moves in turn.
    await runAll(e, 'run-3', { jobId: 'j', mode: 'backfill', idStart: 10, idEnd: 12 });
    const again = await expectOutputsFollowInventory(e, 'after a second backfill');
    expect(again.map((b) => [b.start, b.end, b.completedRunId]).slice(1, 4)).toEqual([
      [5, 9, 'run-2'],
      [10, 12, 'run-3'],
      [13, 20, 'run-2'],
    ]);
  });

  it('drops the object a crashed attempt left at a batch that never committed, when that batch is cut', async () => {
    const e = await setup('split-orphan');
    // Batch 1-20 redone by a backfill that dies after writing its output, before the commit.
    e.faults.crashAt('process.afterOutputs');
    await expect(runAll(e, 'run-2', { jobId: 'j', mode: 'backfill', idStart: 1, idEnd: 20 })).rejects.toThrow(
      InjectedFaultError,
    );
    e.clock.advance(61_000);
    const dead = { liveness: { isActive: async (_: string, run: string) => run !== 'run-2' } };
    await runAll(e, 'run-3', { jobId: 'j', mode: 'backfill', idStart: 11, idEnd: 30 }, e.with(dead));
    await runAll(e, 'run-4', { jobId: 'j', mode: 'retry-failed' }, e.with(dead));
    await expectOutputsFollowInventory(e, 'after the recovery');
  });

  it('keeps workers, reservations and other splits off a part until its move is done', async () => {
    const e = await setup('split-fence');
    e.faults.crashAt('split.afterParts');
    await expect(
      planRun(e.deps, { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 }, 'run-2'),
    ).rejects.toThrow(InjectedFaultError);
    const part = await e.deps.batches.getBatch('j', INVENTORY, 5);
    expect(part?.moveFrom).toBe(outputKeyOf('j', INVENTORY, { start: 1, end: 20 }));
    const got = await processBatch(
      e.deps,
      {
        jobId: 'j',
        runId: 'run-2',
        mode: 'backfill',
        batch: { start: 5, end: 20, stride: 1, scope: 'inventory' },
      },
      quietWorker('early'),
    );
    expect(got.outcome).toBe('BUSY');
    const now = e.clock.now();
    expect(await e.deps.batches.reserveExisting('j', 5, 'run-x', now + 1000, now, ['run-2'])).toBe(false);
    // Another run while the splitting one is live leaves the move to it; once it is dead, the move is finished.
    const stillLive = { liveness: { isActive: async () => true } };
    await planRun(e.with(stillLive), { jobId: 'j', mode: 'incremental' }, 'run-3');
    expect(await e.deps.splits.pendingMoves('j')).toHaveLength(1);
    const dead = { liveness: { isActive: async (_: string, run: string) => run !== 'run-2' } };
    await runAll(e, 'run-4', { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 }, e.with(dead));
    await expectOutputsFollowInventory(e, 'after the move was finished');
  });
});

describe('a settler that stalled while another finished the move', () => {
  it('writes nothing over a part that was redone since', async () => {
    const e = await setup('split-stale-settler');
    // The split and its move as the first planner saw them, before it stalled.
    e.faults.crashAt('split.afterParts');
    await expect(
      planRun(e.deps, { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 }, 'run-2'),
    ).rejects.toThrow(InjectedFaultError);
    const [move] = await e.deps.splits.pendingMoves('j');
    const seen = await Promise.all(
      (move?.parts ?? []).map(([start]) => e.deps.batches.getBatch('j', INVENTORY, start)),
    );
    // Another planner finishes the move, and the backfill redoes the parts inside the bounds.
    const dead = e.with({ liveness: { isActive: async (_: string, run: string) => run !== 'run-2' } });
    await runAll(e, 'run-3', { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 }, dead);
    await expectOutputsFollowInventory(e, 'before the stalled settler resumes');
    // The stalled one resumes past its look at the parts, which it still sees marked.
    const stale = e.with({
      batches: new Proxy(e.deps.batches, {
        get(target, prop, receiver) {
          if (prop === 'getBatch')
            return async (_job: string, _scope: unknown, start: number) =>
              seen.find((b) => b?.start === start);
          return Reflect.get(target, prop, receiver);
        },
      }),
    });
    await settleMove(stale, move as OutputMove);
    await expectOutputsFollowInventory(e, 'after the stalled settler');
  });
});

describe('a crash at any step of a split and its output move', () => {
  const input = { jobId: 'j', mode: 'backfill', idStart: 5, idEnd: 34 } as const;

  it('is finished by the same run, by a new one, or by the next run of any mode', async () => {
    const probe = await setup('split-crash-probe');
    probe.faults.seen.length = 0;
    await planRun(probe.deps, input, 'run-2');
    const points = [...new Set(probe.faults.seen.filter((p) => /^(plan\.afterSplit|split\.)/.test(p)))];
    expect(points).toEqual(['plan.afterSplit', 'split.afterParts', 'split.afterRecord', 'split.afterDelete']);
    const counts = new Map<string, number>();
    const occurrences: [string, number][] = probe.faults.seen
      .filter((p) => points.includes(p))
      .map((p) => [p, counts.set(p, (counts.get(p) ?? 0) + 1).get(p) as number]);
    expect(occurrences).toHaveLength(8);

    for (const [point, nth] of occurrences) {
      for (const recovery of ['same run', 'new run', 'incremental'] as const) {
        const where = `${point}#${nth} then ${recovery}`;
        const e = await setup(`split-crash-${nth}`);
        e.faults.crashAt(point, nth);
        await expect(planRun(e.deps, input, 'run-2'), where).rejects.toBeInstanceOf(InjectedFaultError);
        const dead = e.with({ liveness: { isActive: async (_: string, run: string) => run !== 'run-2' } });
        if (recovery === 'same run') await runAll(e, 'run-2', input);
        else if (recovery === 'new run') await runAll(e, 'run-3', input, dead);
        else {
          await runAll(e, 'run-3', { jobId: 'j', mode: 'incremental' }, dead);
          await runAll(e, 'run-4', input, dead);
        }
        const batches = await expectOutputsFollowInventory(e, where);
        const redone = batches.filter((b) => b.start >= 5 && b.end <= 34);
        expect(
          redone.map((b) => b.completedRunId === 'run-1'),
          where,
        ).not.toContain(true);
      }
    }
  });
});
