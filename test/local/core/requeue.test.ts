import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError } from '../../../core/errors.ts';
import { requeueExceptions } from '../../../core/exceptions/exceptions.ts';
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
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 100, RESOLVED: 0, REQUEUED: 0 });
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

    expect(out).toEqual({ requeued: 100, exceptions: 100, alreadyReviewed: 0, datasetId: 'j.exceptions' });
    // Three pages of at most 49 exceptions, each reading the one entry that holds its originals: once.
    expect(catalogQueries).toBe(3);
    const requeued = await collect(deps.catalog.entries('j.exceptions', 1, 100));
    expect(requeued.map((e) => [e.ref?.id, e.weights])).toEqual(
      Array.from({ length: 100 }, (_, k) => [3 * (k + 1), weightOf(3 * (k + 1))]),
    );
  });
});
