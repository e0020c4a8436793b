import { ValidationError } from '../errors.ts';
import type { NewException } from '../ports/index.ts';
import type { AnyProcessor, BatchContext, BatchLog, Processor } from '../processors/define-processor.ts';
import { runItems } from './batch-steps.ts';

/** A batch to run a processor over in memory: its items by id, and what the job would give it. */
export interface TestBatchInput {
  /** The items, each with its id in the data set, in the order the batch would read them. */
  readonly items: readonly { readonly id: number; readonly item: unknown }[];
  /** The job's config, before the processor parses it. @default {} */
  readonly config?: unknown;
  /** @default 'test-job' */
  readonly jobId?: string;
  /** @default 'test-run' */
  readonly runId?: string;
  /** What `ctx.secret()` answers. @default undefined (the data set names no secret) */
  readonly secret?: string;
  /** Where log lines go. @default kept in `logs` of the result */
  readonly log?: BatchLog;
}

/** What a batch would commit: the outputs by id, the items set aside, and what afterBatch was told. */
export interface TestBatchResult<Output> {
  readonly outputs: readonly { readonly id: number; readonly output: Output }[];
  /** Items set aside for review: invalid against the item schema, or rejected with ItemRejectedError. */
  readonly exceptions: readonly NewException[];
  readonly summary: { readonly itemsSucceeded: number; readonly itemsExcepted: number };
  readonly logs: readonly {
    readonly level: 'info' | 'warn';
    readonly msg: string;
    readonly data?: unknown;
  }[];
}

/**
 * Run a processor over one batch in memory, through the same item loop ProcessBatch runs: the config is parsed
 * (a bad one throws ValidationError naming `config.<field>`), beforeBatch, each item parsed and processed,
 * afterBatch. An item that fails its schema or throws ItemRejectedError lands in `exceptions`; RetryableError or
 * any other error is thrown, as it would fail the batch. Nothing is written anywhere.
 * @example
 * const result = await testProcessor(wordCount, { config: { minLength: 2 }, items: [{ id: 1, item: { text: 'a bc' } }] });
 * expect(result.outputs).toEqual([{ id: 1, output: { words: 1 } }]);
 */
export async function testProcessor<Config, Item, Output, State>(
  processor: Processor<Config, Item, Output, State>,
  input: TestBatchInput,
): Promise<TestBatchResult<Output>> {
  const any = processor as unknown as AnyProcessor;
  if (any.command)
    throw new ValidationError(
      [
        {
          field: 'processor',
          rule: `${any.name} is a command processor: run it in the local mode (docs/command-processors.md)`,
        },
      ],
      { what: 'testProcessor call' },
    );
  const logs: { level: 'info' | 'warn'; msg: string; data?: unknown }[] = [];
  // A loop, not Math.min(...ids): a spread of 150,000 arguments overflows the stack.
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const { id } of input.items) {
    start = Math.min(start, id);
    end = Math.max(end, id);
  }
  const ctx: BatchContext<unknown, unknown> = {
    jobId: input.jobId ?? 'test-job',
    runId: input.runId ?? 'test-run',
    batch: input.items.length ? { start, end } : { start: 1, end: 1 },
    config: any.parseConfig(input.config ?? {}),
    state: undefined,
    secret: async () => input.secret,
    log: input.log ?? {
      info: (msg, data) => logs.push({ level: 'info', msg, data }),
      warn: (msg, data) => logs.push({ level: 'warn', msg, data }),
    },
  };
  const started = Date.now();
  const state = await any.beforeBatch(ctx as BatchContext<unknown, undefined>);
  const withState = { ...ctx, state };
  const items = input.items.map(({ id, item }) => ({ id, raw: item }));
  const { lines, exceptions } = await runItems(any, items, withState, () => undefined);
  const summary = { itemsSucceeded: lines.length, itemsExcepted: exceptions.length };
  await any.afterBatch(withState, { ...summary, durationMs: Date.now() - started });
  const outputs = lines.map((line) => JSON.parse(line) as { id: number; output: Output });
  return { outputs, exceptions, summary, logs };
}
