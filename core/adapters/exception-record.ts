import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import { ValidationError } from '../errors.ts';
import { RunId } from '../events.ts';
import type { ExceptionStatus, ItemException } from '../model.ts';
import type { NewException } from '../ports/index.ts';
import { Id, JsonObject, Name, parse } from '../validation.ts';

/**
 * The one mapping between an ItemException and its item in the exceptions table. The exception store and the
 * inventory store (which records exceptions inside its commit transaction) both write through here, so the
 * byStatus index attributes can never drift from `status`.
 */

/** Sort key prefix of an exception; the exceptionId is the sort key without it. */
export const EXCEPTION_SK_PREFIX = 'X#';

/**
 * Largest `details` kept verbatim, as JSON text. A commit writes up to ~100 items in one transaction (4 MB in
 * all), so one chatty processor must not be able to fail the batch: bigger details are kept as a preview.
 */
export const MAX_DETAILS_BYTES = 16 * 1024;
const PREVIEW_CHARS = 4 * 1024;

const NewExceptionInput = z.object({
  itemId: Id,
  kind: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(256, {
    error: 'must be at most 256 characters',
  }),
  details: JsonObject,
});

/**
 * The item for a new OPEN exception of `jobId` found by `runId` in the batch starting at `batchStart`.
 * One item per (item, run): a retried commit of the same run overwrites it instead of adding a duplicate.
 * @example TransactItems.push({ Put: { TableName: exceptionsTable, Item: toExceptionItem(jobId, runId, start, e, at) } });
 */
export function toExceptionItem(
  jobId: string,
  runId: string,
  batchStart: number,
  exception: NewException,
  at: string,
): Record<string, unknown> {
  parse(Name, jobId, 'exception jobId');
  parse(RunId, runId, 'exception runId');
  const e = parse(NewExceptionInput, exception, 'exception');
  const key = keys.exception(jobId, e.itemId, runId);
  return {
    ...key,
    ...statusAttributes(jobId, key.sk, 'OPEN'),
    jobId,
    itemId: e.itemId,
    runId,
    batchStart,
    kind: e.kind,
    details: boundedDetails(e.details),
    createdAt: at,
  };
}

/**
 * The attributes that move together whenever an exception changes status: `status` and the byStatus GSI keys.
 * @example UpdateExpression: 'SET #status = :status, statusPk = :statusPk', with values from statusAttributes(...)
 */
export function statusAttributes(jobId: string, sk: string, status: ExceptionStatus) {
  return { status, statusPk: keys.exceptionStatusPk(jobId, status), statusSk: sk };
}

/**
 * The table key of an exception id as callers see it (`<itemId padded>#<runId>`); a malformed id is a
 * ValidationError on `exceptionId` rather than a lookup that silently finds nothing.
 */
export function exceptionKey(jobId: string, exceptionId: string): { pk: string; sk: string } {
  if (typeof exceptionId !== 'string' || !/^\d{16}#[A-Za-z0-9_-]{1,80}$/.test(exceptionId)) {
    throw new ValidationError([{ field: 'exceptionId', rule: 'must be <16-digit item id>#<runId>' }]);
  }
  return { pk: keys.jobPk(jobId), sk: `${EXCEPTION_SK_PREFIX}${exceptionId}` };
}

const ExceptionItem = z.object({
  sk: z.string().startsWith(EXCEPTION_SK_PREFIX, { error: `must start with ${EXCEPTION_SK_PREFIX}` }),
  jobId: z.string(),
  itemId: z.number().int(),
  runId: z.string(),
  batchStart: z.number().int(),
  kind: z.string(),
  details: z.record(z.string(), z.unknown()),
  status: z.enum(['OPEN', 'RESOLVED', 'REQUEUED']),
  createdAt: z.string(),
  note: z.string().optional(),
  resolvedAt: z.string().optional(),
  requeuedAs: z.object({ datasetId: z.string(), id: z.number().int() }).optional(),
});

/**
 * An exception read back from the table. A malformed item (hand-edited, or written by an old version) is a
 * ValidationError naming the attribute, never a half-typed object.
 */
export function fromExceptionItem(raw: unknown): ItemException {
  const { sk, ...rest } = parse(ExceptionItem, raw, 'exception record');
  return { ...rest, exceptionId: sk.slice(EXCEPTION_SK_PREFIX.length) };
}

function boundedDetails(details: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(details);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_DETAILS_BYTES) return details;
  return { truncated: true, bytes, preview: text.slice(0, PREVIEW_CHARS) };
}
