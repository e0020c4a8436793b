import { z } from 'zod';
import { WORKER_SIZES, type WorkerLimits, type WorkerSize } from '../contracts/functions.ts';
import type { Violation } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import { ProcessorRef } from '../model.ts';
import { JsonObject, parse, toViolations } from '../validation.ts';
import type { CommandSpec } from './command-spec.ts';

/** The worker presets a processor picks from live with the function table (core/contracts/functions.ts). */
export { WORKER_SIZES, type WorkerLimits, type WorkerSize };

/** Structured log lines of a batch; never pass secret values in `data`. */
export interface BatchLog {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
}

/** What every hook sees about the batch it works on. */
export interface BatchContext<Config, State> {
  readonly jobId: string;
  readonly runId: string;
  readonly batch: { readonly start: number; readonly end: number };
  readonly config: Config;
  /** What `beforeBatch` returned; `undefined` while `beforeBatch` itself runs. */
  readonly state: State;
  /**
   * The data set's secret value, read by ProcessBatch before any hook runs (a secret that cannot be read fails
   * the batch's preflight); `undefined` when the data set names none.
   */
  secret(): Promise<string | undefined>;
  readonly log: BatchLog;
}

/** Per-item arguments of `processItem`. */
export interface ItemContext<Config, State> {
  /** The item's id in its data set. */
  readonly id: number;
  readonly ctx: BatchContext<Config, State>;
}

/** What `afterBatch` learns about the batch it closes. */
export interface BatchSummary {
  readonly itemsSucceeded: number;
  readonly itemsExcepted: number;
  readonly durationMs: number;
  /** Where the outputs were written, when there were any. */
  readonly outputKey?: string;
}

/** The answer to the preflight question "is it valid" for one item. */
export type ItemParseResult<Item> =
  | { readonly ok: true; readonly item: Item }
  | { readonly ok: false; readonly violations: readonly Violation[] };

/**
 * What a user writes. Hooks may be sync or async. `processItem` returns a JSON-serialisable output, or throws
 * `ItemRejectedError` (the item is set aside, the batch goes on), or `RetryableError` (the batch is tried
 * again); anything else fails the batch.
 */
export interface ProcessorDefinition<CS extends z.ZodType, IS extends z.ZodType, Output, State> {
  /** The name jobs refer to; the database never holds more than this name. */
  readonly name: string;
  readonly version: string;
  /** Validates a job's config: JSON data only, never code or expressions to evaluate. */
  readonly configSchema: CS;
  readonly itemSchema: IS;
  /** @default 'small' */
  readonly workerSize?: WorkerSize;
  beforeBatch?(ctx: BatchContext<z.output<CS>, undefined>): State | Promise<State>;
  processItem(item: z.output<IS>, ictx: ItemContext<z.output<CS>, State>): Output | Promise<Output>;
  afterBatch?(ctx: BatchContext<z.output<CS>, State>, summary: BatchSummary): void | Promise<void>;
}

/**
 * A registered processor. Hooks are declared as methods so that any processor can be held as an
 * `AnyProcessor` by the registry and the batch runner, which only ever pass it the config it parsed.
 */
export interface Processor<Config, Item, Output, State> {
  readonly name: string;
  readonly version: string;
  readonly workerSize: WorkerSize;
  readonly limits: WorkerLimits;
  /**
   * Set for a command processor (defineCommandProcessor): ProcessBatch runs this command over the batch in
   * place of the hooks below, which then only parse.
   */
  readonly command?: CommandSpec;
  /** Parses a job's config, applying defaults. Throws ValidationError naming `config.<field>` and the rule. */
  parseConfig(raw: unknown): Config;
  /** Parses one item without throwing: the preflight "is it valid" question. Fields are named `item.<field>`. */
  parseItem(raw: unknown): ItemParseResult<Item>;
  beforeBatch(ctx: BatchContext<Config, undefined>): Promise<State>;
  processItem(item: Item, ictx: ItemContext<Config, State>): Promise<Output>;
  /**
   * processItem as the definition answers it: a value, a promise, or a throw. The batch runner awaits only
   * promises, so a synchronous processor costs no microtask per item.
   */
  runItem(item: Item, ictx: ItemContext<Config, State>): Output | Promise<Output>;
  afterBatch(ctx: BatchContext<Config, State>, summary: BatchSummary): Promise<void>;
}

/** Any processor, as the registry and the batch runner hold it. */
export type AnyProcessor = Processor<unknown, unknown, unknown, unknown>;

/**
 * Declares a processor. Config and item types come from the schemas; State from `beforeBatch`.
 * @example
 * export const wordCount = defineProcessor({
 *   name: 'word-count',
 *   version: '1',
 *   configSchema: z.strictObject({ minLength: z.number().int().default(1) }),
 *   itemSchema: z.object({ text: z.string() }),
 *   processItem: (item, { ctx }) => ({
 *     words: item.text.split(/\s+/).filter((w) => w.length >= ctx.config.minLength).length,
 *   }),
 * });
 */
export function defineProcessor<CS extends z.ZodType, IS extends z.ZodType, Output, State = undefined>(
  def: ProcessorDefinition<CS, IS, Output, State>,
): Processor<z.output<CS>, z.output<IS>, Output, State> {
  parse(ProcessorRef, { name: def.name, version: def.version }, 'processor definition');
  const workerSize = def.workerSize ?? 'small';
  if (!Object.hasOwn(WORKER_SIZES, workerSize)) {
    throw new ValidationError(
      [{ field: 'workerSize', rule: `must be one of ${Object.keys(WORKER_SIZES).join(', ')}` }],
      {
        what: `processor ${def.name}`,
      },
    );
  }
  const processor: Processor<z.output<CS>, z.output<IS>, Output, State> = {
    name: def.name,
    version: def.version,
    workerSize,
    limits: WORKER_SIZES[workerSize],
    parseConfig: (raw) => parseConfig(def.name, def.configSchema, raw),
    parseItem: acceptsAnything(def.itemSchema)
      ? (raw) => ({ ok: true, item: raw as z.output<IS> })
      : (raw) => parseItem(def.itemSchema, raw),
    beforeBatch: async (ctx) => (def.beforeBatch ? def.beforeBatch(ctx) : (undefined as State)),
    processItem: async (item, ictx) => def.processItem(item, ictx),
    runItem: (item, ictx) => def.processItem(item, ictx),
    afterBatch: async (ctx, summary) => {
      await def.afterBatch?.(ctx, summary);
    },
  };
  Object.defineProperty(processor, PROCESSOR, { value: true });
  return processor;
}

/** Registered (Symbol.for): a processor made by another copy of batchkeeper is recognised too. */
const PROCESSOR = Symbol.for('batchkeeper.processor');

/** Whether a value was made by defineProcessor: how a user's processors module is read. */
export function isProcessor(value: unknown): value is AnyProcessor {
  return (
    typeof value === 'object' && value !== null && (value as { [PROCESSOR]?: unknown })[PROCESSOR] === true
  );
}

/**
 * Config is checked twice: first that it is plain JSON data (so that nothing callable or exotic can reach a
 * processor from the database), then against the processor's own schema.
 */
function parseConfig<CS extends z.ZodType>(name: string, schema: CS, raw: unknown): z.output<CS> {
  const what = `config of processor ${name}`;
  const json = JsonObject.safeParse(raw ?? {});
  if (!json.success) throw new ValidationError(prefixed('config', json.error), { cause: json.error, what });
  const result = schema.safeParse(json.data);
  if (!result.success)
    throw new ValidationError(prefixed('config', result.error), { cause: result.error, what });
  return result.data;
}

/** A schema with nothing to check (z.unknown(), z.any()): items pass as they are, without a parse per item. */
const acceptsAnything = (schema: z.ZodType) => schema instanceof z.ZodUnknown || schema instanceof z.ZodAny;

function parseItem<IS extends z.ZodType>(schema: IS, raw: unknown): ItemParseResult<z.output<IS>> {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, item: result.data };
  return { ok: false, violations: prefixed('item', result.error) };
}

function prefixed(prefix: string, error: z.ZodError): Violation[] {
  return toViolations(error).map((v) => ({
    field: v.field === '(root)' ? prefix : `${prefix}.${v.field}`,
    rule: v.rule,
  }));
}
