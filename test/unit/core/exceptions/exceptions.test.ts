import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ExceptionNotFoundError,
  InjectedFaultError,
  ItemRejectedError,
  JobNotFoundError,
  ValidationError,
} from '../../../../core/errors.ts';
import type { RunInput } from '../../../../core/events.ts';
import { listExceptions, summarizeExceptions } from '../../../../core/exceptions/exceptions.ts';
import { requeueExceptions } from '../../../../core/exceptions/requeue.ts';
import { resolveException, resolveExceptions } from '../../../../core/exceptions/review.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import type { ItemException } from '../../../../core/model.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../../core/validation.ts';
import type { FakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { collect, quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from '../processing/batch-env.ts';

/** What the processor sets aside: odd items while `behaviour.rejectOdd`, as `triple` or `odd`. */
const behaviour = { rejectOdd: true };
const kindOf = (id: number) => (id % 3 === 0 ? 'triple' : 'odd');

const oddOut = defineProcessor({
  name: 'odd-out',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (behaviour.rejectOdd && id % 2 === 1) throw new ItemRejectedError(kindOf(id), { id });
    return { ok: true };
  },
});

const weightOf = (id: number) => 1 + (id % 7);
const ODD = Array.from({ length: 20 }, (_, k) => 2 * k + 1);
const ZERO = { OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 };

/** Job `j` over 40 ids whose run-1 has set the 20 odd ones aside (7 `triple`, 13 `odd`). */
async function withExceptions(faults?: FaultSwitch) {
  behaviour.rejectOdd = true;
  const env = await batchEnv({
    processor: 'odd-out',
    processors: [oddOut],
    weights: weightOf,
    faults: faults?.hook,
  });
  for (const i of env.manifest.keys()) await processBatch(env.deps, env.event(i), quietWorker(`w${i}`));
  const open = (await env.deps.exceptions.list('j', { status: 'OPEN' })).items;
  return { deps: env.deps, open };
}

/** Plan and process a whole run of job `j`. */
async function run(deps: FakeDeps, input: Omit<RunInput, 'jobId'>, runId: string) {
  const plan = await planRun(deps, { jobId: 'j', ...input } as RunInput, runId);
  for (const batch of await manifestOf(deps, plan.manifestKey)) {
    await processBatch(deps, { jobId: 'j', runId, mode: input.mode, batch }, quietWorker(`w-${runId}`));
  }
}

async function all(deps: FakeDeps, query = {}): Promise<ItemException[]> {
  const out: ItemException[] = [];
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list('j', query, { next });
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

describe('one record per item', () => {
  it('a backfill that sets the same items aside again updates their records, keeping each occurrence', async () => {
    const { deps } = await withExceptions();

    await run(deps, { mode: 'backfill', idStart: 1, idEnd: 40 }, 'run-2');
    await run(deps, { mode: 'backfill', idStart: 11, idEnd: 20 }, 'run-3');

    const records = await all(deps);
    expect(records.map((x) => x.itemId)).toEqual(ODD);
    expect(records.map((x) => x.occurrences)).toEqual(ODD.map((id) => (id >= 11 && id <= 20 ? 3 : 2)));
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 20 });
    expect((await deps.exceptions.occurrences('j', '13')).map((o) => o.runId)).toEqual([
      'run-1',
      'run-2',
      'run-3',
    ]);
  });

  it('a later attempt that processes the item closes its exception as superseded', async () => {
    const { deps } = await withExceptions();
    await resolveException(deps, 'j', '1', 'looked at it');
    behaviour.rejectOdd = false;

    await run(deps, { mode: 'backfill', idStart: 1, idEnd: 20 }, 'run-2');

    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 10, RESOLVED: 1, SUPERSEDED: 9 });
    expect(await deps.exceptions.get('j', '3')).toMatchObject({
      status: 'SUPERSEDED',
      supersededBy: { runId: 'run-2' },
    });
    expect(await deps.publishes.pendingPublishes('j')).toEqual([]);
  });

  it('a commit that crashed before superseding leaves a record the next plan finishes', async () => {
    const faults = new FaultSwitch();
    const { deps } = await withExceptions(faults);
    behaviour.rejectOdd = false;
    faults.crashAt('process.afterCommit');

    await expect(run(deps, { mode: 'backfill', idStart: 1, idEnd: 10 }, 'run-2')).rejects.toBeInstanceOf(
      InjectedFaultError,
    );
    expect((await deps.exceptions.counts('j')).OPEN).toBe(20);
    expect(await deps.publishes.pendingPublishes('j')).toHaveLength(1);
    await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-3');

    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 15, SUPERSEDED: 5 });
  });

  it('a sample run keeps its exceptions in its own scope, out of the review queue', async () => {
    const { deps } = await withExceptions();

    await run(deps, { mode: 'sample', every: 3 }, 'sample-1');

    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 20 });
    expect((await all(deps)).every((x) => x.occurrences === 1)).toBe(true);
    const sampled = await all(deps, { sampleRunId: 'sample-1' });
    expect(sampled.length).toBeGreaterThan(0);
    expect(
      sampled.every((x) => x.sampleRunId === 'sample-1' && x.exceptionId.startsWith('S#sample-1#')),
    ).toBe(true);
    await expect(
      resolveExceptions(deps, 'j', { ids: [sampled[0]?.exceptionId as string] }, 'no'),
    ).rejects.toMatchObject({ field: 'id' });
    await expect(
      resolveExceptions(deps, 'j', { filter: { sampleRunId: 'sample-1' } }, 'no'),
    ).rejects.toMatchObject({ field: 'sample' });
  });
});

describe('resolveExceptions', () => {
  it('closes one open exception with the reviewer’s note', async () => {
    const { deps, open } = await withExceptions();
    const id = open[0]?.exceptionId;

    const { exception, report } = await resolveException(deps, 'j', id, 'checked by hand: fine');

    expect(exception).toMatchObject({
      exceptionId: id,
      status: 'RESOLVED',
      note: 'checked by hand: fine',
      resolvedAt: new Date(deps.clock.now()).toISOString(),
    });
    expect(report).toEqual({ reviewed: 1, byKind: { odd: 1 }, alreadyReviewed: 0 });
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 19, RESOLVED: 1 });
  });

  it('resolves exactly the exceptions a filter takes, with counts by kind', async () => {
    const { deps } = await withExceptions();

    const byKind = await resolveExceptions(deps, 'j', { filter: { kinds: ['triple'] } }, 'known');
    const byRange = await resolveExceptions(deps, 'j', { filter: { from: 1, to: 10 } }, 'range');

    expect(byKind).toEqual({ reviewed: 7, byKind: { triple: 7 }, alreadyReviewed: 0 });
    expect(byRange).toEqual({ reviewed: 3, byKind: { odd: 3 }, alreadyReviewed: 0 }); // 1, 5, 7; 3 and 9 are triple
    const statuses = Object.fromEntries((await all(deps)).map((x) => [x.itemId, x.status]));
    for (const id of ODD) {
      const want = kindOf(id) === 'triple' || id <= 10 ? 'RESOLVED' : 'OPEN';
      expect(statuses[id], `item ${id}`).toBe(want);
    }
  });

  it('two reviews of the same exceptions at once both succeed and their counts add up', async () => {
    const { deps } = await withExceptions();

    const [a, b] = await Promise.all([
      resolveExceptions(deps, 'j', { all: true }, 'first'),
      resolveExceptions(deps, 'j', { all: true }, 'second'),
    ]);

    expect((a?.reviewed ?? 0) + (b?.reviewed ?? 0)).toBe(20);
    expect((a?.reviewed ?? 0) + (a?.alreadyReviewed ?? 0)).toBe(20);
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, RESOLVED: 20 });
  });

  it('refuses bad selections, notes and names before writing anything', async () => {
    const { deps, open } = await withExceptions();
    await resolveException(deps, 'j', open[0]?.exceptionId, 'fine');
    const cases: [() => Promise<unknown>, object][] = [
      [() => resolveExceptions(deps, 'j', {}, 'x'), { field: 'selection' }],
      [() => resolveExceptions(deps, 'j', { all: true, ids: ['3'] }, 'x'), { field: 'selection' }],
      [() => resolveExceptions(deps, 'j', { all: true }, ''), { field: 'note' }],
      [() => resolveExceptions(deps, 'j', { filter: { from: 9, to: 3 } }, 'x'), { field: 'to' }],
      [() => resolveExceptions(deps, 'j', { filter: { kinds: [''] } }, 'x'), { field: 'kinds.0' }],
      [() => resolveExceptions(deps, 'j', { filter: { status: 'RESOLVED' } }, 'x'), { field: 'status' }],
      [
        () => resolveExceptions(deps, 'j', { ids: ['3', open[0]?.exceptionId as string] }, 'x'),
        { field: 'id' },
      ],
      [() => resolveExceptions(deps, 'j', { ids: ['3#run-1'] }, 'x'), { field: 'exceptionId' }],
    ];
    for (const [call, want] of cases) await expect(call()).rejects.toMatchObject(want);
    await expect(resolveExceptions(deps, 'j', { ids: ['99'] }, 'x')).rejects.toBeInstanceOf(
      ExceptionNotFoundError,
    );
    await expect(resolveExceptions(deps, 'nope', { all: true }, 'x')).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 19, RESOLVED: 1 });
  });
});

describe('requeueExceptions', () => {
  it('feeds open exceptions back as items of <job>.exceptions that point at the originals, with their weights', async () => {
    const { deps } = await withExceptions();

    const out = await requeueExceptions(deps, 'j');

    expect(out).toEqual({
      datasetId: 'j.exceptions',
      requeued: 20,
      reviewed: 20,
      byKind: { odd: 13, triple: 7 },
      alreadyReviewed: 0,
    });
    expect(await deps.catalog.getDataset('j.exceptions')).toMatchObject({ exceptionsOf: 'j', highId: 20 });
    const entries = await collect(deps.catalog.entries('j.exceptions', 1, 20));
    expect(entries.map((e) => [e.ref?.id, e.weights])).toEqual(ODD.map((id) => [id, weightOf(id)]));
    for (const x of await all(deps, { status: 'REQUEUED' })) {
      const [entry] = await collect(
        deps.catalog.entries('j.exceptions', x.requeuedAs?.id ?? 0, x.requeuedAs?.id ?? 0),
      );
      expect(entry?.ref).toEqual({ datasetId: 'ds', id: x.itemId });
    }
  });

  it('feeds each item once however many times it was set aside, and again only once it is set aside again', async () => {
    const { deps } = await withExceptions();
    await run(deps, { mode: 'backfill', idStart: 1, idEnd: 40 }, 'run-2');

    const first = await requeueExceptions(deps, 'j');
    const none = await requeueExceptions(deps, 'j');
    await run(deps, { mode: 'backfill', idStart: 1, idEnd: 10 }, 'run-3');
    const again = await requeueExceptions(deps, 'j');

    expect([first.requeued, none.requeued, again.requeued]).toEqual([20, 0, 5]);
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(25);
    expect(await deps.exceptions.get('j', '1')).toMatchObject({
      status: 'REQUEUED',
      requeues: 2,
      occurrences: 3,
    });
  });

  it('requeues only what is selected: named, or by filter', async () => {
    const { deps, open } = await withExceptions();
    await resolveException(deps, 'j', open[0]?.exceptionId, 'fine');

    const named = await requeueExceptions(deps, 'j', { ids: [open[1]?.exceptionId as string, '5'] });
    const triple = await requeueExceptions(deps, 'j', { filter: { kinds: ['triple'] } });
    const rest = await requeueExceptions(deps, 'j', { all: true });

    expect([named.requeued, triple.requeued, rest.requeued]).toEqual([2, 6, 11]);
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, RESOLVED: 1, REQUEUED: 19 });
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(19);
  });

  it('finishes a requeue that crashed after registering, feeding each item back once', async () => {
    const faults = new FaultSwitch();
    const { deps } = await withExceptions(faults);
    faults.crashAt('requeue.afterRegister');

    await expect(requeueExceptions(deps, 'j')).rejects.toBeInstanceOf(InjectedFaultError);
    const again = await requeueExceptions(deps, 'j');

    expect(again.requeued).toBe(20);
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(20);
    const ids = (await all(deps, { status: 'REQUEUED' })).map((x) => x.requeuedAs?.id);
    expect(new Set(ids).size).toBe(20);
  });

  it('two requeues at once feed each item once between them, and neither fails', async () => {
    const { deps } = await withExceptions();

    const [a, b] = await Promise.all([requeueExceptions(deps, 'j'), requeueExceptions(deps, 'j')]);

    expect((a?.requeued ?? 0) + (b?.requeued ?? 0)).toBe(20);
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(20);
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, REQUEUED: 20 });
  });

  it('refuses an unknown or reviewed exception by name before writing, and a requeue of nothing makes no data set', async () => {
    const { deps, open } = await withExceptions();
    const reviewed = open[0]?.exceptionId as string;
    await resolveException(deps, 'j', reviewed, 'fine');

    await expect(requeueExceptions(deps, 'j', { ids: ['nope'] })).rejects.toBeInstanceOf(ValidationError);
    await expect(requeueExceptions(deps, 'j', { ids: ['99'] })).rejects.toBeInstanceOf(
      ExceptionNotFoundError,
    );
    await expect(requeueExceptions(deps, 'j', { ids: [reviewed, '3'] })).rejects.toMatchObject({
      violations: [{ field: 'id', rule: `must name an OPEN exception (${reviewed} is RESOLVED)` }],
    });
    await expect(requeueExceptions(deps, 'j', { filter: { kinds: ['none-such'] } })).resolves.toMatchObject({
      requeued: 0,
    });
    expect(await deps.catalog.getDataset('j.exceptions')).toBeUndefined();
    expect(await deps.exceptions.counts('j')).toEqual({ ...ZERO, OPEN: 19, RESOLVED: 1 });
    await expect(requeueExceptions(deps, 'nope')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('makes the requeued items a data set another job processes from the originals', async () => {
    const { deps } = await withExceptions();
    await requeueExceptions(deps, 'j');
    await createJob(deps, {
      jobId: 'j2',
      datasetId: 'j.exceptions',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 50 },
    });

    const plan = await planRun(deps, { jobId: 'j2', mode: 'incremental' }, 'run-2');
    const batch = { start: 1, end: 20, stride: 1, scope: 'inventory' as const };
    const out = await processBatch(
      deps,
      { jobId: 'j2', runId: 'run-2', mode: 'incremental', batch },
      quietWorker('w'),
    );

    expect(plan.items).toBe(20);
    expect(out).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 20, itemsExcepted: 0 });
  });
});

describe('listExceptions and summarizeExceptions', () => {
  it('list by status, kind, run and range; refuse a status that is none', async () => {
    const { deps } = await withExceptions();

    const page = await listExceptions(deps, 'j', { status: 'OPEN' }, { limit: 5 });
    const triple = await listExceptions(deps, 'j', { kinds: ['triple'], from: 1, to: 20 });

    expect(page.items.map((x) => x.itemId)).toEqual([1, 3, 5, 7, 9]);
    expect(triple.items.map((x) => x.itemId)).toEqual([3, 9, 15]);
    expect((await listExceptions(deps, 'j', { runId: 'run-9' })).items).toEqual([]);
    await expect(listExceptions(deps, 'j', { status: 'LOST' })).rejects.toMatchObject({ field: 'status' });
  });

  it('counts what a filter takes by status and kind', async () => {
    const { deps } = await withExceptions();
    await resolveExceptions(deps, 'j', { filter: { kinds: ['triple'] } }, 'known');

    expect(await summarizeExceptions(deps, 'j', {})).toEqual({
      total: 20,
      byStatus: { ...ZERO, OPEN: 13, RESOLVED: 7 },
      byKind: { odd: 13, triple: 7 },
    });
    expect(await summarizeExceptions(deps, 'j', { status: 'OPEN', to: 10 })).toMatchObject({ total: 3 });
  });
});
