import { ValidationError } from '../errors.ts';

/**
 * Page cursors of the DynamoDB adapters: a LastEvaluatedKey travels to callers as an opaque base64url string
 * and comes back as an ExclusiveStartKey. Cursors cross a trust boundary (CLI flags, API callers), so a
 * decoded cursor is checked against the key shape of the query it resumes: DynamoDB would otherwise answer a
 * forged or stale cursor with a ValidationException that names nothing the caller knows.
 */

/** The smallest and largest page a caller may ask for, and the default. */
export const PAGE_LIMIT = { min: 1, max: 1000, default: 100 } as const;

/** A key attribute's value in a cursor: every key of the tables is a string. */
type KeyValue = string;

/**
 * Encode a LastEvaluatedKey as an opaque cursor; undefined (the last page) stays undefined.
 * @example const next = encodeCursor(out.LastEvaluatedKey);
 */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  if (key === undefined) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** What a cursor of one listing must look like: its key attributes, and those pinned to the query's partition. */
export interface CursorShape {
  readonly attributes: readonly string[];
  readonly fixed?: Readonly<Record<string, KeyValue>>;
}

/**
 * Decode a cursor back into an ExclusiveStartKey. With a `shape`, the cursor must carry exactly those key
 * attributes, and the `fixed` ones must equal the query's own partition (a cursor from another job is not a
 * cursor of this one); without one, any flat object of strings and numbers passes. A missing cursor is the
 * first page. Anything else is a ValidationError on field `next`.
 * @example const start = decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk: `J#${jobId}` } });
 */
export function decodeCursor(
  next: string | undefined,
  shape?: CursorShape,
): Record<string, unknown> | undefined {
  if (next === undefined) return undefined;
  const key = parseCursor(next);
  const values = Object.values(key);
  const flat = values.length > 0 && values.every((v) => typeof v === 'string' || typeof v === 'number');
  const shapeOk =
    shape === undefined ||
    (values.length === shape.attributes.length &&
      shape.attributes.every((a) => typeof key[a] === 'string') &&
      Object.entries(shape.fixed ?? {}).every(([a, v]) => key[a] === v));
  if (!flat || !shapeOk) throw badCursor('is not a cursor of this listing');
  return key;
}

/**
 * The page size a caller asked for, within PAGE_LIMIT.
 * @example const limit = pageLimit(page?.limit);
 */
export function pageLimit(limit: number | undefined, max: number = PAGE_LIMIT.max): number {
  if (limit === undefined) return Math.min(PAGE_LIMIT.default, max);
  if (!Number.isInteger(limit) || limit < PAGE_LIMIT.min || limit > max) {
    throw new ValidationError([
      { field: 'limit', rule: `must be an integer from ${PAGE_LIMIT.min} to ${max}` },
    ]);
  }
  return limit;
}

function parseCursor(next: string): Record<string, unknown> {
  // base64url is strict here: Buffer.from silently skips foreign characters, which would accept garbage.
  if (typeof next !== 'string' || next.length === 0 || !/^[A-Za-z0-9_-]+$/.test(next)) {
    throw badCursor('must be a cursor returned by the previous page');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(next, 'base64url').toString('utf8'));
  } catch (cause) {
    throw badCursor('must be a cursor returned by the previous page', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badCursor('must be a cursor returned by the previous page');
  }
  return value as Record<string, unknown>;
}

function badCursor(rule: string, cause?: unknown): ValidationError {
  return new ValidationError([{ field: 'next', rule }], { cause, what: 'page request' });
}
