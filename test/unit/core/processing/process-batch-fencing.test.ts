import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { outputKeyOf } from '../../../../core/contracts/s3-keys.ts';
import { ItemRejectedError, LeaseLostError } from '../../../../core/errors.ts';
import { deleteJob } from '../../../../core/jobs/jobs.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { JsonObject } from '../../../../core/validation.ts';
import { collect, quietWorker, takeBatch } from '../../../support/seed-data.ts';
import { batchEnv } from './batch-env.ts';

const INVENTORY = { kind: 'inventory' } as const;
/** The job's lease: leaseSeconds defaults to 900. */
const LEASE_MS = 900_000;

/**
 * A processor that lets the test act on the world before the batch's first item (`before`) and before each item
 * (`each`), and sets odd items aside.
 */
function scripted() {
  const hooks = { before: async () => {}, each: async (_id: number) => {} };
  const processor = defineProcessor({
    name: 'scripted',
    version: '1',
    configSchema: JsonObject,
    itemSchema: z.unknown(),
    beforeBatch: () => hooks.before(),
    async processItem(_item, { id }) {
      await hooks.each(id);
      if (id % 2 === 1) throw new ItemRejectedError('odd', { id });
      return { ok: true };
    },
  });
  return { hooks, processor };
}

async function setup() {
  const { hooks, processor } = scripted();
  const env = await batchEnv({ processor: 'scripted', processors: [processor] });
  return { ...env, hooks };
}

describe('processBatch fencing', () => {
  it('cannot commit once its lease was taken over: nothing of its attempt is recorded, the new owner undisturbed', async () => {
    const { deps, event, hooks } = await setup();
    hooks.before = async () => {
      deps.clock.advance(LEASE_MS + 1);
      expect((await takeBatch(deps, 1, { owner: 'thief' })).outcome).toBe('ACQUIRED');
    };

    await expect(processBatch(deps, event(0), quietWorker('w1'))).rejects.toBeInstanceOf(LeaseLostError);

    expect(await deps.batches.getBatch('j', INVENTORY, 1)).toMatchObject({
      status: 'RUNNING',
      leaseOwner: 'thief',
      token: 2,
    });
    const history = await collect(deps.attempts.list('j', INVENTORY, 1));
    expect(history.map((h) => [h.attempt, h.outcome, h.owner])).toEqual([[1, 'LEASE_EXPIRED', 'run-1/w1']]);
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
  });

  it('cannot commit once its lease expired, even with nobody else on the batch', async () => {
    const { deps, event, hooks } = await setup();
    hooks.before = async () => deps.clock.advance(LEASE_MS + 1);

    await expect(processBatch(deps, event(0), quietWorker('w1'))).rejects.toBeInstanceOf(LeaseLostError);

    expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('RUNNING');
    expect(await collect(deps.attempts.list('j', INVENTORY, 1))).toEqual([]);
  });

  it('keeps the lease of a slow batch with heartbeats, so no one takes it meanwhile', async () => {
    const { deps, event, hooks } = await setup();
    const thief: string[] = [];
    hooks.each = async (id) => {
      deps.clock.advance(LEASE_MS / 2);
      if (id === 5) thief.push((await takeBatch(deps, 1, { owner: 'thief' })).outcome);
    };

    const report = await processBatch(deps, event(0), quietWorker('w1'));

    expect(report).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 5, itemsExcepted: 5 });
    expect(thief).toEqual(['BUSY']);
    const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
    expect(attempt).toMatchObject({
      outcome: 'SUCCEEDED',
      owner: 'run-1/w1',
      durationMs: 10 * (LEASE_MS / 2),
    });
  });

  it('drops what it wrote when its job is deleted under it', async () => {
    const { deps, event, hooks } = await setup();
    hooks.before = async () => {
      await deleteJob(deps, 'j', { force: true });
    };

    await expect(processBatch(deps, event(0), quietWorker('w1'))).rejects.toBeInstanceOf(LeaseLostError);

    expect(await deps.jobs.getJob('j')).toBeUndefined();
    const output = outputKeyOf('j', INVENTORY, { start: 1, end: 10 });
    expect(await deps.objects.get(deps.buckets.work, output)).toBeUndefined();
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 });
  });
});
