import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError, PreflightFailedError, RetryableError } from '../../../../core/errors.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { recordFailure } from '../../../../core/processing/record-failure.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { collect, quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from './batch-env.ts';

const INVENTORY = { kind: 'inventory' } as const;
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ds-creds-AbCdEf';

/** Rejects odd ids, uses the data set's secret, fails the batch on n = 13, asks for a retry once on n = 21. */
function picky() {
  let flaky = 0;
  return defineProcessor({
    name: 'picky',
    version: '1',
    configSchema: z.strictObject({ tag: z.string().default('a') }),
    itemSchema: z.object({ n: z.number() }),
    async beforeBatch(ctx) {
      return { connected: (await ctx.secret()) !== undefined };
    },
    processItem(item, { ctx }) {
      if (item.n === 13) throw new TypeError('unlucky');
      if (item.n === 21 && flaky++ === 0) throw new RetryableError('throttled');
      if (item.n % 2 === 1) throw new ItemRejectedError('odd', { n: item.n });
      return { half: item.n / 2, tag: ctx.config.tag, connected: ctx.state.connected };
    },
  });
}

const setup = (o: { secretArn?: string; secrets?: Record<string, string> } = {}) =>
  batchEnv({ processor: 'picky', processors: [picky()], ...o });

const rowsOf = (body: Uint8Array | undefined) =>
  Buffer.from(body ?? new Uint8Array())
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('processBatch', () => {
  it('processes items, sets rejected ones aside, writes outputs to the batch key and commits, with the preflight answers', async () => {
    const { deps, event } = await setup();

    const out = await processBatch(deps, event(0), quietWorker('w1'));

    expect(out).toMatchObject({
      outcome: 'SUCCEEDED',
      start: 1,
      end: 10,
      itemsSucceeded: 5,
      itemsExcepted: 5,
    });
    const key = 'outputs/j/0000000000000001-0000000000000010.jsonl';
    const rows = rowsOf(await deps.objects.get(deps.buckets.work, key));
    expect(rows.map((r) => r.id)).toEqual([2, 4, 6, 8, 10]);
    expect(rows[0].output).toEqual({ half: 1, tag: 'a', connected: false });
    expect(
      (await deps.exceptions.list('j', { status: 'OPEN' })).items.map((x) => [x.itemId, x.kind]),
    ).toEqual([
      [1, 'odd'],
      [3, 'odd'],
      [5, 'odd'],
      [7, 'odd'],
      [9, 'odd'],
    ]);
    expect(await deps.batches.getBatch('j', INVENTORY, 1)).toMatchObject({
      status: 'SUCCEEDED',
      completedRunId: 'run-1',
      itemsSucceeded: 5,
      itemsExcepted: 5,
      outputKey: key,
    });
    const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
    const preflight = attempt?.diagnostics?.preflight as Record<string, { ok: boolean }>;
    expect(Object.keys(preflight).sort()).toEqual(['ready', 'right', 'safe', 'valid', 'where']);
    expect(Object.values(preflight).every((a) => a.ok)).toBe(true);
  });

  it('answers ALREADY_DONE to a second worker of a batch done', async () => {
    const { deps, event } = await setup();
    await processBatch(deps, event(0), quietWorker('w1'));

    const again = await processBatch(deps, event(0), quietWorker('w2'));

    expect(again).toMatchObject({ outcome: 'ALREADY_DONE', itemsSucceeded: 0 });
    expect(await collect(deps.attempts.list('j', INVENTORY, 1))).toHaveLength(1);
  });

  it('gives the lease back on a retryable error, fails the batch on any other, and RecordFailure is then a no-op', async () => {
    const { deps, event } = await setup();

    await expect(processBatch(deps, event(2), quietWorker('w1'))).rejects.toBeInstanceOf(RetryableError);
    expect(await processBatch(deps, event(2), quietWorker('w2'))).toMatchObject({ outcome: 'SUCCEEDED' });
    await expect(processBatch(deps, event(1), quietWorker('w3'))).rejects.toBeInstanceOf(TypeError);

    expect(await deps.batches.getBatch('j', INVENTORY, 11)).toMatchObject({
      status: 'FAILED',
      error: 'TypeError: unlucky',
    });
    const caught = {
      ...event(1),
      error: { Error: 'TypeError', Cause: JSON.stringify({ errorMessage: 'unlucky' }) },
    };
    expect(await recordFailure(deps, caught)).toEqual({ recorded: false, error: 'TypeError' });
    const history = await collect(deps.attempts.list('j', INVENTORY));
    expect(history.map((h) => [h.start, h.outcome])).toEqual([
      [11, 'FAILED'],
      [21, 'RETRY'],
      [21, 'SUCCEEDED'],
    ]);
    const fin = await finalizeRun(deps, { jobId: 'j', runId: 'run-1' });
    expect(fin).toMatchObject({
      status: 'PARTIAL',
      batchesSucceeded: 1,
      batchesFailed: 1,
      batchesNotDone: 2,
    });
    expect((await deps.runs.getRun('j', 'run-1'))?.stats?.states.ProcessBatch?.count).toBe(3);
  });

  it('fails a batch whose worker died without a word, once, through RecordFailure', async () => {
    const { deps, event } = await setup();
    const caught = { ...event(3), error: { Error: 'States.Timeout', Cause: 'timed out' } };
    await deps.leases.acquire({
      jobId: 'j',
      scope: INVENTORY,
      start: 31,
      owner: 'run-1/dead',
      runId: 'run-1',
      leaseMs: 60_000,
      policy: 'skip-succeeded',
    });

    const first = await recordFailure(deps, caught);
    const second = await recordFailure(deps, caught);

    expect([first.recorded, second.recorded]).toEqual([true, false]);
    expect(await deps.batches.getBatch('j', INVENTORY, 31)).toMatchObject({
      status: 'FAILED',
      error: 'States.Timeout: timed out',
    });
  });

  it('fails the preflight when an object is missing, and says which question', async () => {
    const { deps, event } = await setup();
    await deps.objects.delete(deps.buckets.data, 'ds/part-0000000011.jsonl');

    const error = await processBatch(deps, event(1), quietWorker('w1')).catch((e) => e);

    expect(error).toBeInstanceOf(PreflightFailedError);
    expect(error.context.question).toBe('where');
    const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 11));
    expect(attempt?.outcome).toBe('FAILED');
    expect((attempt?.diagnostics?.preflight as Record<string, { ok: boolean }> | undefined)?.where?.ok).toBe(
      false,
    );
  });
});

describe('processBatch with a data set secret', () => {
  it('hands the processor the resolved secret', async () => {
    const { deps, event } = await setup({ secretArn: ARN, secrets: { [ARN]: 'pw-SECRET' } });

    await processBatch(deps, event(0), quietWorker('w1'));

    const body = await deps.objects.get(
      deps.buckets.work,
      'outputs/j/0000000000000001-0000000000000010.jsonl',
    );
    expect(rowsOf(body)[0].output.connected).toBe(true);
    expect(Buffer.from(body ?? new Uint8Array()).toString()).not.toContain('pw-SECRET');
  });

  it('fails the preflight question safe when the secret cannot be resolved', async () => {
    const { deps, event } = await setup({ secretArn: ARN });

    const error = await processBatch(deps, event(0), quietWorker('w1')).catch((e) => e);

    expect(error).toBeInstanceOf(PreflightFailedError);
    expect(error.context.question).toBe('safe');
    expect((await deps.batches.getBatch('j', INVENTORY, 1))?.status).toBe('FAILED');
  });
});
