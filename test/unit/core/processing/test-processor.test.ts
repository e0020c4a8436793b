import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError, RetryableError, ValidationError } from '../../../../core/errors.ts';
import { testProcessor } from '../../../../core/processing/test-processor.ts';
import {
  type BatchContext,
  type BatchSummary,
  defineProcessor,
} from '../../../../core/processors/define-processor.ts';

/** What each hook saw, in order. */
type Seen = { hook: string; ctx: Omit<BatchContext<unknown, unknown>, 'secret' | 'log'>; extra?: unknown }[];

/** A word counter that records what every hook was given. */
function recorder() {
  const seen: Seen = [];
  const keep = (hook: string, ctx: BatchContext<unknown, unknown>, extra?: unknown) =>
    seen.push({
      hook,
      ctx: { jobId: ctx.jobId, runId: ctx.runId, batch: ctx.batch, config: ctx.config, state: ctx.state },
      extra,
    });
  const processor = defineProcessor({
    name: 'word-count',
    version: '1',
    configSchema: z.strictObject({ minLength: z.number({ error: 'must be a number' }).int().default(1) }),
    itemSchema: z.object({ text: z.string({ error: 'must be a string' }) }),
    beforeBatch: (ctx) => {
      keep('beforeBatch', ctx);
      return { prefix: `${ctx.jobId}/${ctx.runId}`, items: 0 };
    },
    processItem: (item, { id, ctx }) => {
      ctx.state.items++;
      keep('processItem', ctx, id);
      if (item.text === '') throw new ItemRejectedError('empty-text', { id, why: 'no words' });
      return {
        from: ctx.state.prefix,
        words: item.text.split(/\s+/).filter((w) => w.length >= ctx.config.minLength).length,
      };
    },
    afterBatch: (ctx, summary: BatchSummary) => {
      keep('afterBatch', ctx, summary);
    },
  });
  return { processor, seen };
}

const item = (id: number, text: unknown) => ({ id, item: { text } });

describe('testProcessor', () => {
  it('runs each item through processItem and answers the outputs by id, in order', async () => {
    const { processor } = recorder();
    const result = await testProcessor(processor, {
      config: { minLength: 3 },
      items: [item(4, 'the quick brown fox'), item(2, 'a bb ccc')],
    });
    expect(result.outputs).toEqual([
      { id: 4, output: { from: 'test-job/test-run', words: 4 } },
      { id: 2, output: { from: 'test-job/test-run', words: 1 } },
    ]);
    expect(result.exceptions).toEqual([]);
    expect(result.summary).toEqual({ itemsSucceeded: 2, itemsExcepted: 0 });
  });

  it('applies the config schema defaults when no config is given', async () => {
    const { processor, seen } = recorder();
    const result = await testProcessor(processor, { items: [item(1, 'a bb')] });
    expect(result.outputs).toEqual([{ id: 1, output: { from: 'test-job/test-run', words: 2 } }]);
    expect(seen[0]?.ctx.config).toEqual({ minLength: 1 });
  });

  it('refuses a bad config with a ValidationError naming config.<field>, before any hook runs', async () => {
    const { processor, seen } = recorder();
    const error = await testProcessor(processor, { config: { minLength: 'x' }, items: [item(1, 'a')] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toEqual([
      { field: 'config.minLength', rule: 'must be a number' },
    ]);
    expect(seen).toEqual([]);
  });

  it('refuses a config key the strict schema does not know', async () => {
    const { processor } = recorder();
    await expect(testProcessor(processor, { config: { minLenght: 2 }, items: [] })).rejects.toThrow(
      /config of processor word-count: config: .*minLenght/,
    );
  });

  it('hands the state of beforeBatch to processItem and afterBatch, with the batch and job ids', async () => {
    const { processor, seen } = recorder();
    await testProcessor(processor, {
      jobId: 'job-7',
      runId: 'run-3',
      items: [item(12, 'x'), item(10, 'y'), item(11, 'z')],
    });
    expect(
      seen.map((s) => [s.hook, s.extra === undefined || typeof s.extra === 'number' ? s.extra : '…']),
    ).toEqual([
      ['beforeBatch', undefined],
      ['processItem', 12],
      ['processItem', 10],
      ['processItem', 11],
      ['afterBatch', '…'],
    ]);
    expect(seen[0]?.ctx).toEqual({
      jobId: 'job-7',
      runId: 'run-3',
      batch: { start: 10, end: 12 },
      config: { minLength: 1 },
      state: undefined,
    });
    // The one state object, changed by each item, is what afterBatch sees.
    expect(seen[1]?.ctx.state).toBe(seen[4]?.ctx.state);
    expect(seen[4]?.ctx.state).toEqual({ prefix: 'job-7/run-3', items: 3 });
  });

  it('tells afterBatch how many items succeeded and how many were set aside', async () => {
    const { processor, seen } = recorder();
    await testProcessor(processor, { items: [item(1, 'a'), item(2, ''), item(3, 42), item(4, 'b c')] });
    const summary = seen.find((s) => s.hook === 'afterBatch')?.extra as BatchSummary;
    expect(summary).toMatchObject({ itemsSucceeded: 2, itemsExcepted: 2 });
    expect(typeof summary.durationMs).toBe('number');
  });

  it('runs a batch of no items: no processItem, afterBatch told zero', async () => {
    const { processor, seen } = recorder();
    const result = await testProcessor(processor, { items: [] });
    expect(result).toEqual({
      outputs: [],
      exceptions: [],
      summary: { itemsSucceeded: 0, itemsExcepted: 0 },
      logs: [],
    });
    expect(seen.map((s) => s.hook)).toEqual(['beforeBatch', 'afterBatch']);
    expect(seen[1]?.extra).toMatchObject({ itemsSucceeded: 0, itemsExcepted: 0 });
  });

  it('runs a batch of the most items a job can cut into one batch (100 000)', async () => {
    const identity = defineProcessor({
      name: 'identity',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      beforeBatch: (ctx) => ctx.batch,
      processItem: (_, { id, ctx }) => (id === ctx.state.start || id === ctx.state.end ? id : null),
    });
    const items = Array.from({ length: 100_000 }, (_, i) => ({ id: 100_000 - i, item: null }));
    const result = await testProcessor(identity, { items });
    expect(result.summary).toEqual({ itemsSucceeded: 100_000, itemsExcepted: 0 });
    expect(result.outputs[0]).toEqual({ id: 100_000, output: 100_000 });
    expect(result.outputs[99_999]).toEqual({ id: 1, output: 1 });
  });

  it('sets aside an item that fails the item schema as invalid-item, without calling processItem', async () => {
    const { processor, seen } = recorder();
    const result = await testProcessor(processor, { items: [item(1, 'ok'), { id: 2, item: { txt: 'x' } }] });
    expect(result.outputs.map((o) => o.id)).toEqual([1]);
    expect(result.exceptions).toEqual([
      {
        itemId: 2,
        kind: 'invalid-item',
        details: { violations: [{ field: 'item.text', rule: 'must be a string' }] },
      },
    ]);
    expect(seen.filter((s) => s.hook === 'processItem').map((s) => s.extra)).toEqual([1]);
    expect(result.summary).toEqual({ itemsSucceeded: 1, itemsExcepted: 1 });
  });

  it('sets aside an item rejected with ItemRejectedError, with its kind and details, and goes on', async () => {
    const { processor } = recorder();
    const result = await testProcessor(processor, { items: [item(5, ''), item(6, 'one two')] });
    expect(result.exceptions).toEqual([
      { itemId: 5, kind: 'empty-text', details: { id: 5, why: 'no words' } },
    ]);
    expect(result.outputs).toEqual([{ id: 6, output: { from: 'test-job/test-run', words: 2 } }]);
  });

  it('sets aside an item whose async processItem rejects with ItemRejectedError', async () => {
    const asyncRejecting = defineProcessor({
      name: 'async-reject',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.number(),
      processItem: async (n) => {
        await Promise.resolve();
        if (n < 0) throw new ItemRejectedError('negative', { n });
        return n * 2;
      },
    });
    const result = await testProcessor(asyncRejecting, {
      items: [
        { id: 1, item: 3 },
        { id: 2, item: -1 },
      ],
    });
    expect(result.outputs).toEqual([{ id: 1, output: 6 }]);
    expect(result.exceptions).toEqual([{ itemId: 2, kind: 'negative', details: { n: -1 } }]);
  });

  it('throws a RetryableError out, as it would fail the batch for a retry', async () => {
    const retrying = defineProcessor({
      name: 'throttled',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: () => {
        throw new RetryableError('upstream throttled');
      },
    });
    const error = await testProcessor(retrying, { items: [{ id: 1, item: null }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe('upstream throttled');
  });

  it('throws any other error out as it is', async () => {
    const boom = new TypeError('cannot read x of undefined');
    const failing = defineProcessor({
      name: 'failing',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: async (_, { id }) => {
        if (id === 2) throw boom;
        return id;
      },
    });
    await expect(
      testProcessor(failing, {
        items: [
          { id: 1, item: 1 },
          { id: 2, item: 2 },
        ],
      }),
    ).rejects.toBe(boom);
  });

  it('passes outputs through JSON, as a batch commits them: a Date becomes its ISO string', async () => {
    const at = new Date('2024-05-06T07:08:09.010Z');
    const dated = defineProcessor({
      name: 'dated',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: () => ({ at, dropped: undefined, count: 8, nested: [at] }),
    });
    const result = await testProcessor(dated, { items: [{ id: 1, item: {} }] });
    expect(result.outputs).toEqual([
      { id: 1, output: { at: '2024-05-06T07:08:09.010Z', count: 8, nested: ['2024-05-06T07:08:09.010Z'] } },
    ]);
    expect(Object.keys(result.outputs[0]?.output ?? {})).toEqual(['at', 'count', 'nested']);
  });

  it('answers ctx.secret() with the secret given, and undefined without one', async () => {
    const secretive = defineProcessor({
      name: 'secretive',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      beforeBatch: async (ctx) => ({ before: (await ctx.secret()) ?? 'none' }),
      processItem: async (_, { ctx }) => ({ ...ctx.state, during: (await ctx.secret()) ?? 'none' }),
    });
    const withSecret = await testProcessor(secretive, { secret: 's3cr3t', items: [{ id: 1, item: 0 }] });
    expect(withSecret.outputs).toEqual([{ id: 1, output: { before: 's3cr3t', during: 's3cr3t' } }]);
    const without = await testProcessor(secretive, { items: [{ id: 1, item: 0 }] });
    expect(without.outputs).toEqual([{ id: 1, output: { before: 'none', during: 'none' } }]);
  });

  it('collects the lines of ctx.log from every hook in logs, in order', async () => {
    const chatty = defineProcessor({
      name: 'chatty',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      beforeBatch: (ctx) => ctx.log.info('starting', { start: ctx.batch.start }),
      processItem: (_, { id, ctx }) => {
        ctx.log.warn('odd item', { id });
        return id;
      },
      afterBatch: (ctx, summary) => ctx.log.info('done', { ok: summary.itemsSucceeded }),
    });
    const result = await testProcessor(chatty, { items: [{ id: 3, item: 'x' }] });
    expect(result.logs).toEqual([
      { level: 'info', msg: 'starting', data: { start: 3 } },
      { level: 'warn', msg: 'odd item', data: { id: 3 } },
      { level: 'info', msg: 'done', data: { ok: 1 } },
    ]);
  });

  it('sends log lines to the log given instead, keeping none in logs', async () => {
    const lines: string[] = [];
    const logging = defineProcessor({
      name: 'logging',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: (_, { id, ctx }) => {
        ctx.log.info(`item ${id}`);
        return null;
      },
    });
    const result = await testProcessor(logging, {
      items: [{ id: 1, item: 1 }],
      log: { info: (msg) => lines.push(`info ${msg}`), warn: (msg) => lines.push(`warn ${msg}`) },
    });
    expect(lines).toEqual(['info item 1']);
    expect(result.logs).toEqual([]);
  });
});
