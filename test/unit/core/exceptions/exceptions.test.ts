import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ExceptionNotFoundError,
  InjectedFaultError,
  ItemRejectedError,
  JobNotFoundError,
  ValidationError,
} from '../../../../core/errors.ts';
import {
  listExceptions,
  requeueExceptions,
  resolveException,
} from '../../../../core/exceptions/exceptions.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../../core/validation.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { collect, quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from '../processing/batch-env.ts';

/** Sets odd items aside. */
const oddOut = defineProcessor({
  name: 'odd-out',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (id % 2 === 1) throw new ItemRejectedError('odd', { id });
    return { ok: true };
  },
});

const weightOf = (id: number) => 1 + (id % 7);

/** Job `j` over 40 ids whose run-1 has set the 20 odd ones aside. */
async function withExceptions(faults?: FaultSwitch) {
  const env = await batchEnv({
    processor: 'odd-out',
    processors: [oddOut],
    weights: weightOf,
    faults: faults?.hook,
  });
  for (const i of env.manifest.keys()) await processBatch(env.deps, env.event(i), quietWorker(`w${i}`));
  const open = (await env.deps.exceptions.list('j', 'OPEN')).items;
  return { deps: env.deps, open };
}

describe('resolveException', () => {
  it('closes an open exception with the reviewer’s note', async () => {
    const { deps, open } = await withExceptions();
    const id = open[0]?.exceptionId;

    const resolved = await resolveException(deps, 'j', id, 'checked by hand: fine');

    expect(resolved).toMatchObject({
      exceptionId: id,
      status: 'RESOLVED',
      note: 'checked by hand: fine',
      resolvedAt: new Date(deps.clock.now()).toISOString(),
    });
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 19, RESOLVED: 1, REQUEUED: 0 });
  });

  it('keeps the first decision: a resolved or requeued exception is not resolved again', async () => {
    const { deps, open } = await withExceptions();
    const [first, second] = [open[0]?.exceptionId, open[1]?.exceptionId];
    await resolveException(deps, 'j', first, 'fine');
    await requeueExceptions(deps, 'j', [second as string]);

    await expect(resolveException(deps, 'j', first, 'again')).rejects.toMatchObject({
      violations: [{ field: 'status', rule: 'must be OPEN to resolve (is RESOLVED)' }],
    });
    await expect(resolveException(deps, 'j', second, 'late')).rejects.toMatchObject({
      violations: [{ field: 'status', rule: 'must be OPEN to resolve (is REQUEUED)' }],
    });
  });

  it('refuses an empty note, an unknown job and an unknown exception, changing nothing', async () => {
    const { deps, open } = await withExceptions();
    const id = open[0]?.exceptionId;

    await expect(resolveException(deps, 'j', id, '')).rejects.toBeInstanceOf(ValidationError);
    await expect(resolveException(deps, 'nope', id, 'x')).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(resolveException(deps, 'j', `${'9'.repeat(16)}#run-1`, 'x')).rejects.toBeInstanceOf(
      ExceptionNotFoundError,
    );
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 20, RESOLVED: 0, REQUEUED: 0 });
  });
});

describe('requeueExceptions', () => {
  it('feeds open exceptions back as items of <job>.exceptions that point at the originals, with their weights', async () => {
    const { deps } = await withExceptions();

    const out = await requeueExceptions(deps, 'j');

    expect(out).toEqual({ requeued: 20, exceptions: 20, alreadyReviewed: 0, datasetId: 'j.exceptions' });
    expect(await deps.catalog.getDataset('j.exceptions')).toMatchObject({ exceptionsOf: 'j', highId: 20 });
    const entries = await collect(deps.catalog.entries('j.exceptions', 1, 20));
    expect(entries.map((e) => [e.ref?.id, e.weights])).toEqual(
      Array.from({ length: 20 }, (_, k) => [2 * k + 1, weightOf(2 * k + 1)]),
    );
    for (const x of (await deps.exceptions.list('j', 'REQUEUED')).items) {
      const [entry] = await collect(
        deps.catalog.entries('j.exceptions', x.requeuedAs?.id ?? 0, x.requeuedAs?.id ?? 0),
      );
      expect(entry?.ref).toEqual({ datasetId: 'ds', id: x.itemId });
    }
  });

  it('requeues only open exceptions, only those named when named, and each once', async () => {
    const { deps, open } = await withExceptions();
    await resolveException(deps, 'j', open[0]?.exceptionId, 'fine');
    const named = [open[1]?.exceptionId, open[2]?.exceptionId] as string[];

    const some = await requeueExceptions(deps, 'j', named);
    const rest = await requeueExceptions(deps, 'j');
    const none = await requeueExceptions(deps, 'j');

    expect([some.requeued, rest.requeued, none.requeued]).toEqual([2, 17, 0]);
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 1, REQUEUED: 19 });
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
    const ids = (await deps.exceptions.list('j', 'REQUEUED')).items.map((x) => x.requeuedAs?.id);
    expect(new Set(ids).size).toBe(20);
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

  it('refuses an unknown job', async () => {
    const { deps } = await withExceptions();

    await expect(requeueExceptions(deps, 'nope')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('listExceptions', () => {
  it('lists the exceptions of one status, and refuses a status that is none', async () => {
    const { deps } = await withExceptions();

    const page = await listExceptions(deps, 'j', 'OPEN', { limit: 5 });

    expect(page.items.map((x) => x.itemId)).toEqual([1, 3, 5, 7, 9]);
    await expect(listExceptions(deps, 'j', 'LOST')).rejects.toMatchObject({ field: 'status' });
  });
});

describe('requeueExceptions, one item at most once', () => {
  /** A second run set the same items aside again: two open exceptions per odd item. */
  async function withDuplicates() {
    const env = await withExceptions();
    const at = new Date(env.deps.clock.now()).toISOString();
    for (const x of env.open)
      await env.deps.exceptions.putCommitted(
        'j',
        'run-2',
        x.batchStart,
        [{ itemId: x.itemId, kind: x.kind, details: { ...x.details } }],
        at,
      );
    expect((await env.deps.exceptions.counts('j')).OPEN).toBe(40);
    return env;
  }

  it('feeds an item excepted by two runs back once, and closes both of its exceptions', async () => {
    const { deps } = await withDuplicates();

    const out = await requeueExceptions(deps, 'j');

    expect(out).toEqual({ datasetId: 'j.exceptions', requeued: 20, exceptions: 40, alreadyReviewed: 0 });
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(20);
    const requeued = (await deps.exceptions.list('j', 'REQUEUED')).items;
    const asOf = new Map<number, Set<number | undefined>>();
    for (const x of requeued) asOf.set(x.itemId, (asOf.get(x.itemId) ?? new Set()).add(x.requeuedAs?.id));
    expect([...asOf.values()].map((ids) => ids.size)).toEqual(Array(20).fill(1));
  });

  it('named by one of its exceptions, feeds the item once and closes its other exception too', async () => {
    const { deps, open } = await withDuplicates();
    const first = open[0] as { exceptionId: string; itemId: number };

    const out = await requeueExceptions(deps, 'j', [first.exceptionId]);

    expect(out).toMatchObject({ requeued: 1, exceptions: 2 });
    const left = (await deps.exceptions.list('j', 'OPEN')).items;
    expect(left.some((x) => x.itemId === first.itemId)).toBe(false);
    expect(left).toHaveLength(38);
  });

  it('two requeues at once feed each item once between them, and neither fails', async () => {
    const { deps } = await withDuplicates();

    const [a, b] = await Promise.all([requeueExceptions(deps, 'j'), requeueExceptions(deps, 'j')]);

    expect((a?.requeued ?? 0) + (b?.requeued ?? 0)).toBe(20);
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(20);
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 40 });
  });

  it('refuses an unknown or reviewed exception by name before writing, and a requeue of nothing makes no data set', async () => {
    const { deps, open } = await withExceptions();
    const reviewed = open[0]?.exceptionId as string;
    await resolveException(deps, 'j', reviewed, 'fine');

    await expect(requeueExceptions(deps, 'j', ['nope'])).rejects.toBeInstanceOf(ValidationError);
    await expect(requeueExceptions(deps, 'j', [`${'9'.repeat(16)}#run-1`])).rejects.toBeInstanceOf(
      ExceptionNotFoundError,
    );
    await expect(
      requeueExceptions(deps, 'j', [reviewed, open[1]?.exceptionId as string]),
    ).rejects.toMatchObject({
      violations: [{ field: 'id', rule: `must name an OPEN exception (${reviewed} is RESOLVED)` }],
    });
    expect(await deps.catalog.getDataset('j.exceptions')).toBeUndefined();
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 19, RESOLVED: 1, REQUEUED: 0 });

    await requeueExceptions(deps, 'j');
    const none = await requeueExceptions(deps, 'j');
    expect(none).toMatchObject({ requeued: 0, exceptions: 0 });
  });
});
