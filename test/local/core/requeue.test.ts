import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Deps } from '../../../core/deps.ts';
import { ItemRejectedError } from '../../../core/errors.ts';
import type { RunInput } from '../../../core/events.ts';
import { requeueExceptions } from '../../../core/exceptions/requeue.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../core/validation.ts';
import { collect, coreEnv, quietWorker, seedJob } from '../../support/core-env.ts';
import { manifestOf } from '../../support/inventory-checks.ts';

/** Sets every third item aside. */
const everyThird = defineProcessor({
  name: 'every-third',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (id % 3 === 0) throw new ItemRejectedError('third', { id });
    return { ok: true };
  },
});

const weightOf = (id: number) => 1 + (id % 7);

describe('requeueExceptions', () => {
  it('reads each catalog entry of the originals once per page of exceptions, and keeps each weight', async () => {
    const { deps, env } = await coreEnv('requeue-reads', [everyThird]);
    // One JSON Lines object of 300 records, each with a weight of its own.
    await seedJob(deps, { ids: 300, size: 100, processor: 'every-third', weights: weightOf });
    const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
    for (const b of await manifestOf(deps, plan.manifestKey))
      await processBatch(
        deps,
        { jobId: 'j', runId: 'run-1', mode: 'incremental', batch: b },
        quietWorker('w'),
      );
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 100, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
    let catalogQueries = 0;
    const name = 'catalog-queries';
    env.clients.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string };
        if (context.commandName === 'QueryCommand' && input.TableName === env.tables.catalog)
          catalogQueries++;
        return next(args);
      },
      { step: 'initialize', name },
    );

    const out = await requeueExceptions(deps, 'j');
    env.clients.doc.middlewareStack.remove(name);

    expect(out).toMatchObject({
      requeued: 100,
      reviewed: 100,
      alreadyReviewed: 0,
      datasetId: 'j.exceptions',
    });
    // Three pages of at most 49 exceptions, each reading the one entry that holds its originals: once.
    expect(catalogQueries).toBe(3);
    const requeued = await collect(deps.catalog.entries('j.exceptions', 1, 100));
    expect(requeued.map((e) => [e.ref?.id, e.weights])).toEqual(
      Array.from({ length: 100 }, (_, k) => [3 * (k + 1), weightOf(3 * (k + 1))]),
    );
  });
});

describe('one record per item, on DynamoDB Local', () => {
  /** Plan and process a whole run of job `j`, one worker. */
  async function runAll(deps: Deps, input: Omit<RunInput, 'jobId'>, runId: string) {
    const plan = await planRun(deps, { jobId: 'j', ...input } as RunInput, runId);
    for (const batch of await manifestOf(deps, plan.manifestKey))
      await processBatch(deps, { jobId: 'j', runId, mode: input.mode, batch }, quietWorker('w'));
  }

  it('repeated backfills and a sample leave one OPEN record per excepted item, and a requeue feeds each once', async () => {
    const { deps } = await coreEnv('one-per-item', [everyThird]);
    await seedJob(deps, { ids: 300, size: 50, processor: 'every-third', weights: weightOf });
    await runAll(deps, { mode: 'incremental' }, 'run-1');
    await runAll(deps, { mode: 'backfill', idStart: 1, idEnd: 300 }, 'run-2');
    await runAll(deps, { mode: 'backfill', idStart: 101, idEnd: 150 }, 'run-3');
    await runAll(deps, { mode: 'sample', every: 7 }, 'sample-1');

    const records = await collect(pages(deps));
    expect(records.map((x) => x.itemId)).toEqual(Array.from({ length: 100 }, (_, k) => 3 * (k + 1)));
    expect(records.filter((x) => x.occurrences !== (x.itemId >= 101 && x.itemId <= 150 ? 3 : 2))).toEqual([]);
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 100, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
    expect((await deps.exceptions.list('j', { sampleRunId: 'sample-1' })).items.length).toBeGreaterThan(0);

    const first = await requeueExceptions(deps, 'j');
    const again = await requeueExceptions(deps, 'j');
    expect([first.requeued, again.requeued]).toEqual([100, 0]);
    expect((await deps.catalog.getDataset('j.exceptions'))?.highId).toBe(100);
  });
});

async function* pages(deps: Deps) {
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list('j', {}, { next });
    yield* page.items;
    next = page.next;
  } while (next);
}
