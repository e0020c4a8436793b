import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { type Json, JsonObject, Name } from '../../core/validation.ts';

/**
 * Value schemas of flags shared by several commands. Flags arrive as text; each schema turns the text into
 * the value the core expects, or names the rule it breaks.
 */

/** A flag that must be given: `is required` rather than zod's type message for a missing value. */
export const RequiredName = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .pipe(Name);

/** A JSON object given inline: `--config '{"uppercaseCity": true}'`. */
export const JsonText = z.string().transform((text, ctx): Record<string, Json> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `must be valid JSON (${(e as Error).message})` });
    return z.NEVER;
  }
  const object = JsonObject.safeParse(value);
  if (!object.success) ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
  return object.success ? object.data : z.NEVER;
});

/** A JSON object read from a file: `--config-file config.json`. */
export const JsonFile = z
  .string()
  .refine((path) => existsSync(path), { error: 'must name an existing file' })
  .transform((path) => readFileSync(path, 'utf8'))
  .pipe(JsonText);

/** A decimal number from its text, then held to `rule` (the core's, so it is stated in one place): weights. */
export const NumberFlag = (rule: z.ZodType<number, number>) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: 'must be a positive number' })
    .transform(Number)
    .pipe(rule);

/** One of a fixed set of upper-case words (statuses), in any case: `--status open` is `OPEN`. */
export const OneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(values, { error: `must be one of ${values.join(', ')}` }),
  );

/** `--config` and `--config-file` are two spellings of one value: at most one of them (or exactly one). */
export function configOf(
  v: { config?: Json; 'config-file'?: Json },
  ctx: z.RefinementCtx,
  required: boolean,
): void {
  if (v.config !== undefined && v['config-file'] !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['config-file'], message: 'is not allowed together with --config' });
  }
  if (required && v.config === undefined && v['config-file'] === undefined) {
    ctx.addIssue({ code: 'custom', path: ['config'], message: 'is required (or --config-file)' });
  }
}

/** `--batch-size 1000`: a positive integer up to max, from its text. */
export const IntFlag = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a positive integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: 'must be >= 1' })
        .max(max, { error: `must be <= ${max}` }),
    );

/** Ids accepted on the command line: 1 .. MAX_SAFE_INTEGER. */
export const IdFlag = IntFlag(Number.MAX_SAFE_INTEGER);
