import { z } from 'zod';

/** Environment variable that carries the absolute path of the batch's descriptor (`batch.json`). */
export const DESCRIPTOR_ENV = 'BATCHKEEPER_BATCH';
/** Environment variable that carries the absolute path of the batch's work folder. */
export const WORK_DIR_ENV = 'BATCHKEEPER_WORK_DIR';

/** The exit code by which a command asks for its batch to be tried again (0 is done, anything else failed). */
export const RETRY_EXIT_CODE = 2;

/** @default 15 minutes, the longest a Lambda worker lives */
export const DEFAULT_COMMAND_TIMEOUT_MS = 15 * 60_000;
/** The longest a command may run: a container flavor's day. */
export const MAX_COMMAND_TIMEOUT_MS = 24 * 3600_000;

/**
 * How a command processor is run: what `defineCommandProcessor` was given, checked and with its defaults. It is
 * part of the processor (and of its config hash, but for the timeout): a changed command is a changed config.
 */
export interface CommandSpec {
  /** The program and its arguments, run without a shell. */
  readonly argv: readonly string[];
  /** Where the command runs; relative to the runner's working directory. @default the batch's work folder */
  readonly cwd?: string;
  /** Variables added to the command's environment (never secrets: see `secret`). */
  readonly env: Readonly<Record<string, string>>;
  /** `file`: the data set's secret is written to a file only the command reads. @default 'none' */
  readonly secret: 'file' | 'none';
  /** The command is killed after this long, and the attempt fails. @default DEFAULT_COMMAND_TIMEOUT_MS */
  readonly timeoutMs: number;
}

const RESERVED_ENV = /^BATCHKEEPER_/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What defineCommandProcessor accepts for the command: checked once, when the processor is defined. */
export const CommandOptions = z.strictObject({
  command: z
    .array(z.string().min(1, { error: 'must not be empty' }), { error: 'must be an array of strings' })
    .min(1, { error: 'must name a program, e.g. ["python3", "main.py"]' }),
  cwd: z.string().min(1, { error: 'must not be empty' }).optional(),
  env: z
    .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' })
    .refine((env) => Object.keys(env).every((k) => VARIABLE_NAME.test(k)), {
      error: 'keys must be variable names (letters, digits, _; not starting with a digit)',
    })
    .refine((env) => !Object.keys(env).some((k) => RESERVED_ENV.test(k)), {
      error: 'must not set BATCHKEEPER_* variables (the runner sets them)',
    })
    .default({}),
  secret: z.enum(['file', 'none'], { error: "must be 'file' or 'none'" }).default('none'),
  timeoutMs: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1_000, { error: 'must be >= 1000' })
    .max(MAX_COMMAND_TIMEOUT_MS, { error: `must be <= ${MAX_COMMAND_TIMEOUT_MS}` })
    .default(DEFAULT_COMMAND_TIMEOUT_MS),
});

/** What of the command goes into the config hash: what changes the outputs (not the timeout). */
export function commandFingerprint(spec: CommandSpec) {
  return { argv: [...spec.argv], cwd: spec.cwd ?? null, env: { ...spec.env }, secret: spec.secret };
}
