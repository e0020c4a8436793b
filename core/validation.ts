import { z } from 'zod';
import { ValidationError, type Violation } from './errors.ts';

/** The largest id batchkeeper accepts: ids are JavaScript numbers and must stay exact. */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Names of jobs and data sets: safe in DynamoDB keys, S3 keys, ARNs and shells. */
export const NAME_RULE = 'must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit';
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const Name = z.string({ error: 'must be a string' }).regex(NAME_RE, { error: NAME_RULE });

/** A positive integer id, at most MAX_ID. */
export const Id = z
  .number({ error: 'must be a number' })
  .refine((n) => Number.isInteger(n), { error: 'must be an integer' })
  .refine((n) => n >= 1, { error: 'must be >= 1' })
  .refine((n) => n <= MAX_ID, { error: `must be <= ${MAX_ID}` });

export const PositiveInt = (max: number) =>
  z
    .number({ error: 'must be a number' })
    .refine((n) => Number.isInteger(n), { error: 'must be an integer' })
    .refine((n) => n >= 1, { error: 'must be >= 1' })
    .refine((n) => n <= max, { error: `must be <= ${max}` });

export const PositiveNumber = z
  .number({ error: 'must be a number' })
  .refine((n) => Number.isFinite(n), { error: 'must be finite' })
  .refine((n) => n > 0, { error: 'must be > 0' });

/** Free text a person writes: description, note. */
export const Text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/** JSON data (never code): plain objects, arrays, strings, finite numbers, booleans, null. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().refine((n) => Number.isFinite(n), { error: 'numbers must be finite' }),
    z.boolean(),
    z.null(),
    z.array(JsonValue),
    z.record(z.string(), JsonValue),
  ]),
);
export const JsonObject = z.record(z.string(), JsonValue, { error: 'must be a JSON object' });

/**
 * Parse once at an edge. A failure becomes a ValidationError naming each field and its rule.
 * @example const input = parse(PlanInput, event, 'execution input');
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'input'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(toViolations(result.error), { cause: result.error, what });
}

/**
 * Parse one named value: a violation names `field` (with any path inside it), never `(root)`.
 * @example const note = parseField(Text(2000), raw, 'note');
 */
export function parseField<S extends z.ZodType>(schema: S, value: unknown, field: string): z.infer<S> {
  return parse(z.object({ [field]: schema }), { [field]: value }, field)[field] as z.infer<S>;
}

export function toViolations(error: z.ZodError): Violation[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    rule: ruleOf(issue),
  }));
}

function ruleOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union')
    return issue.message === 'Invalid input' ? 'has an invalid shape' : issue.message;
  return issue.message;
}
