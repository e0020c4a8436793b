import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError, RetryableError, ValidationError } from '../../../core/errors.ts';
import {
  type BatchContext,
  defineProcessor,
  WORKER_SIZES,
  type WorkerSize,
} from '../../../core/processors/define-processor.ts';

const wordCount = defineProcessor({
  name: 'word-count',
  version: '1.2',
  configSchema: z.strictObject({ minLength: z.number({ error: 'must be a number' }).int().default(1) }),
  itemSchema: z.object({ text: z.string({ error: 'must be a string' }) }),
  beforeBatch: (ctx) => ({ seen: 0, start: ctx.batch.start }),
  processItem: (item, { ctx }) => {
    ctx.state.seen++;
    if (item.text === '') throw new ItemRejectedError('empty-text', { reason: 'no words' });
    if (item.text === 'throttled') throw new RetryableError('upstream throttled');
    return { words: item.text.split(/\s+/).filter((w) => w.length >= ctx.config.minLength).length };
  },
});

function contextOf<Config, State>(config: Config, state: State): BatchContext<Config, State> {
  const lines: string[] = [];
  return {
    jobId: 'job-1',
    runId: 'run-1',
    batch: { start: 1, end: 10 },
    config,
    state,
    secret: async () => undefined,
    log: { info: (msg) => lines.push(msg), warn: (msg) => lines.push(msg) },
  };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('defineProcessor', () => {
  it('takes the config and item types from the schemas, and the state from beforeBatch', () => {
    expectTypeOf(wordCount.parseConfig).returns.toEqualTypeOf<{ minLength: number }>();
    expectTypeOf(wordCount.processItem).parameter(0).toEqualTypeOf<{ text: string }>();
    expectTypeOf(wordCount.beforeBatch).returns.resolves.toEqualTypeOf<{ seen: number; start: number }>();
    expectTypeOf(wordCount.processItem).returns.resolves.toEqualTypeOf<{ words: number }>();
  });

  it('runs small workers unless asked otherwise', () => {
    expect(wordCount.workerSize).toBe('small');
    expect(wordCount.limits).toEqual({ memoryMb: 512, timeoutSeconds: 60 });
  });

  it('offers three worker sizes', () => {
    expect(WORKER_SIZES).toEqual({
      small: { memoryMb: 512, timeoutSeconds: 60 },
      medium: { memoryMb: 1769, timeoutSeconds: 300 },
      large: { memoryMb: 3008, timeoutSeconds: 900 },
    });
    const big = defineProcessor({
      name: 'big',
      version: '1',
      workerSize: 'large',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: () => null,
    });
    expect(big.limits).toEqual(WORKER_SIZES.large);
  });

  it.each([
    ['name', { name: 'bad name!', version: '1' }],
    ['version', { name: 'ok', version: '' }],
  ])('refuses a processor with a bad %s', (field, ref) => {
    const error = thrown(() =>
      defineProcessor({ ...ref, configSchema: z.object({}), itemSchema: z.unknown(), processItem: () => 1 }),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('refuses an unknown worker size', () => {
    const error = thrown(() =>
      defineProcessor({
        name: 'odd',
        version: '1',
        workerSize: 'huge' as WorkerSize,
        configSchema: z.object({}),
        itemSchema: z.unknown(),
        processItem: () => 1,
      }),
    );
    expect((error as ValidationError).field).toBe('workerSize');
  });
});

describe('Processor.parseConfig', () => {
  it('applies the schema defaults, also to a missing config', () => {
    expect(wordCount.parseConfig({})).toEqual({ minLength: 1 });
    expect(wordCount.parseConfig(undefined)).toEqual({ minLength: 1 });
  });

  it('names config.<field> and the rule', () => {
    const error = thrown(() => wordCount.parseConfig({ minLength: 'three' })) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.violations).toEqual([{ field: 'config.minLength', rule: 'must be a number' }]);
    expect(error.message).toContain('config of processor word-count');
  });

  it('never lets anything but JSON data through, whatever the schema accepts', () => {
    const lax = defineProcessor({
      name: 'lax',
      version: '1',
      configSchema: z.any(),
      itemSchema: z.unknown(),
      processItem: () => 1,
    });
    for (const raw of [
      { run: () => 'rm -rf /' },
      { when: new Date(0) },
      { n: Number.NaN },
      'SELECT 1',
      [1],
    ]) {
      expect(() => lax.parseConfig(raw)).toThrow(ValidationError);
    }
    expect(lax.parseConfig({ sql: 'SELECT 1' })).toEqual({ sql: 'SELECT 1' });
  });
});

describe('Processor.parseItem', () => {
  it('answers ok with the parsed item', () => {
    expect(wordCount.parseItem({ text: 'a b' })).toEqual({ ok: true, item: { text: 'a b' } });
  });

  it('answers with the violations, naming item.<field>, without throwing', () => {
    expect(wordCount.parseItem({ text: 5 })).toEqual({
      ok: false,
      violations: [{ field: 'item.text', rule: 'must be a string' }],
    });
    expect(wordCount.parseItem('plain')).toMatchObject({ ok: false, violations: [{ field: 'item' }] });
  });
});

describe('Processor hooks', () => {
  it('hands the state from beforeBatch to every item and to afterBatch', async () => {
    const seen: unknown[] = [];
    const p = defineProcessor({
      name: 'stateful',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.number(),
      beforeBatch: async () => ({ total: 0 }),
      processItem: (n, { id, ctx }) => {
        ctx.state.total += n;
        return { id, n };
      },
      afterBatch: (ctx, summary) => {
        seen.push(ctx.state.total, summary.itemsSucceeded);
      },
    });
    const state = await p.beforeBatch(contextOf({}, undefined));
    const ctx = contextOf({}, state);
    expect(await p.processItem(2, { id: 7, ctx })).toEqual({ id: 7, n: 2 });
    await p.processItem(3, { id: 8, ctx });
    await p.afterBatch(ctx, { itemsSucceeded: 2, itemsExcepted: 0, durationMs: 1 });
    expect(seen).toEqual([5, 2]);
  });

  it('has a state of undefined and a no-op afterBatch when the hooks are left out', async () => {
    const p = defineProcessor({
      name: 'plain',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: () => 'done',
    });
    expect(await p.beforeBatch(contextOf({}, undefined))).toBeUndefined();
    await expect(
      p.afterBatch(contextOf({}, undefined), { itemsSucceeded: 0, itemsExcepted: 0, durationMs: 0 }),
    ).resolves.toBeUndefined();
  });

  it('passes on ItemRejectedError and RetryableError as they were thrown, even from a sync hook', async () => {
    const ctx = contextOf({ minLength: 1 }, { seen: 0, start: 1 });
    await expect(wordCount.processItem({ text: 'a bb c' }, { id: 1, ctx })).resolves.toEqual({ words: 3 });
    await expect(wordCount.processItem({ text: '' }, { id: 2, ctx })).rejects.toMatchObject({
      name: 'ItemRejectedError',
      kind: 'empty-text',
    });
    await expect(wordCount.processItem({ text: 'throttled' }, { id: 3, ctx })).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(ctx.state.seen).toBe(3);
  });
});
