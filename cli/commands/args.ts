import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BatchkeeperError, ValidationError } from '../../core/errors.ts';
import { parse } from '../../core/validation.ts';
import type { Io } from '../output.ts';
import type { Target } from '../target.ts';

/**
 * A command line that cannot be run as written: unknown flag, missing or bad value, wrong combination.
 * Exit code 2; the message names the flag (or `<argument>`) and the rule, followed by the right usage.
 */
export class UsageError extends BatchkeeperError {
  readonly usage: string;
  constructor(problems: readonly string[], usage: string) {
    super(problems.join('; '), { problems, usage });
    this.usage = usage;
  }
}

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** One line for the help text, e.g. `--batch-size N  items per batch`. */
  readonly help: string;
}

/** What a command's run function is given. */
export interface CommandContext {
  readonly io: Io;
  readonly json: boolean;
  /** The local mode or the AWS deployment the command works on, resolved on first use. */
  target(): Promise<Target>;
}

/** What a command produces: the `--json` document and the text for people. */
export interface CommandResult {
  readonly json: unknown;
  readonly text: string;
  /** Set when the command did its work but the outcome is a failure (a run with failed batches). */
  readonly error?: Error;
}

export interface Command<A = Record<string, unknown>> {
  /** The words that select it: `['jobs', 'create']`. */
  readonly words: readonly string[];
  /** The arguments after the words, e.g. `<jobId> --dataset D --processor P [--config JSON]`. */
  readonly usage: string;
  readonly summary: string;
  readonly positionals: readonly string[];
  /** Positionals after the required ones that may be left out, e.g. the `<exceptionId>` of `resolve`. */
  readonly optionalPositionals?: readonly string[];
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Validates the raw arguments (keys: flag names without dashes, positional names). */
  readonly schema: z.ZodType<A>;
  /** Commands that start or stop the local mode have no target. */
  readonly needsTarget: boolean;
  run(args: A, ctx: CommandContext): Promise<CommandResult>;
}

/** Keeps the schema's output type tied to `run` while the registry holds commands of any shape. */
export const defineCommand = <A>(c: Command<A>): Command => c as unknown as Command;

export const COMMON_FLAGS: Record<string, FlagSpec> = {
  json: { type: 'boolean', help: '--json  print one JSON document (shapes in docs/cli.md)' },
  debug: { type: 'boolean', help: '--debug  print stack traces of errors' },
  help: { type: 'boolean', short: 'h', help: '--help, -h  show this help' },
};

export const TARGET_FLAGS: Record<string, FlagSpec> = {
  local: { type: 'boolean', help: '--local  work on the running local mode' },
  'data-dir': {
    type: 'string',
    help: '--data-dir DIR  the local mode started with this data dir (with --local)',
  },
  region: { type: 'string', help: '--region R  AWS region (default: AWS_REGION)' },
  stack: {
    type: 'string',
    help: '--stack NAME  deployed stack whose outputs name the resources (default Batchkeeper)',
  },
};

/** Flags and positionals as read, before validation. */
export type RawArgs = Record<string, string | boolean | string[] | undefined>;

/** Every flag a command accepts: its own, the common ones, and the target ones when it has a target. */
export const flagsOf = (c: Command): Record<string, FlagSpec> => ({
  ...c.flags,
  ...(c.needsTarget ? TARGET_FLAGS : {}),
  ...COMMON_FLAGS,
});

/**
 * Read argv (after the command words) into raw values. Node's parseArgs runs leniently so that every problem
 * is reported here in our words, naming the flag.
 */
export function readArgs(c: Command, argv: readonly string[]): RawArgs {
  const flags = flagsOf(c);
  const usage = usageOf(c);
  // parseArgs refuses keys whose value is undefined: only set what a flag has.
  const options = Object.fromEntries(
    Object.entries(flags).map(([k, f]) => [
      k,
      { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) },
    ]),
  );
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const raw: RawArgs = {};
  const problems: string[] = [];
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const problem = checkOption(flags, t, raw);
    if (problem) problems.push(problem);
  }
  const names = [...c.positionals, ...(c.optionalPositionals ?? [])];
  positionals.forEach((value, i) => {
    const name = names[i];
    if (name === undefined) problems.push(`unexpected argument "${value}"`);
    else raw[name] = value;
  });
  if (raw.help === true) return raw;
  for (const name of c.positionals) if (raw[name] === undefined) problems.push(`<${name}>: is required`);
  if (problems.length > 0) throw new UsageError(problems, usage);
  return raw;
}

type OptionToken = { name: string; rawName: string; value?: string; inlineValue?: boolean };

function checkOption(flags: Record<string, FlagSpec>, t: OptionToken, raw: RawArgs): string | undefined {
  const spec = flags[t.name];
  if (!spec) return `${t.rawName}: unknown flag${didYouMean(unknownFlagHint(t, flags))}`;
  if (spec.type === 'boolean') {
    if (t.value !== undefined) return `${t.rawName}: takes no value`;
    raw[t.name] = true;
    return undefined;
  }
  // A flag that swallowed the next flag as its value (`--dataset --json`) is a missing value.
  if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--')))
    return `${t.rawName}: needs a value`;
  const before = raw[t.name];
  if (spec.multiple) raw[t.name] = [...((before as string[] | undefined) ?? []), t.value];
  else if (before !== undefined) return `${t.rawName}: given more than once`;
  else raw[t.name] = t.value;
  return undefined;
}

/**
 * Validate raw values with the command's schema, once. Violations come back naming `--flag` or `<argument>`.
 */
export function validateArgs<A>(c: Command<A>, raw: RawArgs): A {
  try {
    return parse(c.schema, raw, `arguments of ${c.words.join(' ')}`);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const flags = flagsOf(c as unknown as Command);
    const shown = (field: string) =>
      field in flags
        ? `--${field}`
        : [...c.positionals, ...(c.optionalPositionals ?? [])].includes(field)
          ? `<${field}>`
          : field;
    throw new UsageError(
      e.violations.map((v) => `${shown(v.field)}: ${v.rule}`),
      usageOf(c as unknown as Command),
    );
  }
}

/** The long flag an unknown `--flag` most likely meant; short flags are one letter, too short to guess from. */
function unknownFlagHint(t: OptionToken, flags: Record<string, FlagSpec>): string | undefined {
  if (!t.rawName.startsWith('--')) return undefined;
  const name = closest(t.name, Object.keys(flags));
  return name === undefined ? undefined : `--${name}`;
}

/** `, did you mean "jobs list"?`, appended to the problem it answers; nothing without a suggestion. */
export const didYouMean = (suggestion: string | undefined): string =>
  suggestion === undefined ? '' : `, did you mean "${suggestion}"?`;

/**
 * The candidate a mistyped word most likely meant: one within two edits that changes at most half of the
 * longer word (`lst`, `jbos`, `lcoal`), or one the word begins (`exc` for `exceptions`). The fewest edits win,
 * then the candidates' order. Nothing when none is that close: a far-fetched guess misleads more than none.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; edits: number } | undefined;
  for (const name of candidates) {
    const edits = editDistance(word, name);
    const near = edits <= Math.min(2, Math.floor(Math.max(word.length, name.length) / 2));
    const begins = word.length >= 2 && name.startsWith(word);
    if ((near || begins) && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/**
 * Insertions, deletions, substitutions and swaps of two neighbours that turn `a` into `b` (Damerau-Levenshtein
 * as optimal string alignment): a swapped pair, the most common typo, counts as one edit.
 */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d: number[] = [];
  const at = (i: number, j: number) => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i * width + j] = i + j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let edits = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        edits = Math.min(edits, at(i - 2, j - 2) + 1);
      d[i * width + j] = edits;
    }
  }
  return at(a.length, b.length);
}

export const usageOf = (c: Command): string => `batchkeeper ${c.words.join(' ')} ${c.usage}`.trim();

/** Flags every command accepts; the schema of a command spreads these in. */
export const commonShape = {
  json: z.boolean().optional(),
  debug: z.boolean().optional(),
  help: z.boolean().optional(),
};

export const targetShape = {
  local: z.boolean().optional(),
  'data-dir': z.string().min(1, { error: 'must not be empty' }).optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be a region such as eu-west-1' })
    .optional(),
  stack: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, { error: 'must be a CloudFormation stack name' })
    .optional(),
};

/** Checks shared by every command with a target: local flags and AWS flags do not mix. */
export function checkTarget(
  v: { local?: boolean; 'data-dir'?: string; region?: string; stack?: string },
  ctx: z.RefinementCtx,
) {
  if (v['data-dir'] !== undefined && !v.local)
    ctx.addIssue({ code: 'custom', path: ['data-dir'], message: 'is only allowed with --local' });
  if (v.local && v.region !== undefined)
    ctx.addIssue({ code: 'custom', path: ['region'], message: 'is not allowed with --local' });
  if (v.local && v.stack !== undefined)
    ctx.addIssue({ code: 'custom', path: ['stack'], message: 'is not allowed with --local' });
}

/** A zod object of a command's own fields plus the common and target flags, strict about unknown keys. */
export function targetArgs<T extends z.ZodRawShape>(shape: T) {
  return z
    .strictObject({ ...shape, ...targetShape, ...commonShape })
    .superRefine((v, ctx) => checkTarget(v as TargetFlags, ctx));
}

/** The same for the commands without a target (local up, local down). */
export function plainArgs<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject({ ...shape, ...commonShape });
}

export type TargetFlags = z.output<z.ZodObject<typeof targetShape>>;
