import { z } from 'zod';
import { keys, pad } from '../contracts/tables.ts';
import { ValidationError } from '../errors.ts';
import { RunId } from '../events.ts';
import {
  type BatchScope,
  EXCEPTION_STATUSES,
  type ExceptionOccurrence,
  type ExceptionStatus,
  type ItemException,
} from '../model.ts';
import type { NewException, OccurrenceRef } from '../ports/index.ts';
import { Id, JsonObject, Name, parse } from '../validation.ts';

/**
 * The one mapping between exceptions and their items in the exceptions table (layout in
 * core/contracts/tables.ts). The exception store and the commit store (which records exceptions inside its
 * transaction) both write through here, so a record's byStatus attributes can never drift from `status`, and
 * an occurrence updates a record the same way wherever it is written.
 */

/**
 * Largest `details` kept verbatim, as JSON text. A commit writes up to 47 exceptions in one transaction (4 MB
 * in all), so one chatty processor must not be able to fail the batch: bigger details are kept as a preview.
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

const OccurrenceInput = z.object({
  jobId: Name,
  runId: RunId,
  start: Id,
  token: z.number().int().nonnegative(),
});

/** `<runId>#<batch start>#<token>`: which attempt set an item aside. */
export const occurrenceIdOf = (o: { runId: string; start: number; token: number }) =>
  `${o.runId}#${pad(o.start)}#${o.token}`;

/** A DynamoDB update request without its table: the commit transaction and the store add theirs. */
export interface RecordUpdate {
  readonly Key: { pk: string; sk: string };
  readonly UpdateExpression: string;
  readonly ExpressionAttributeValues: Record<string, unknown>;
  readonly ConditionExpression?: string;
}

/**
 * What one occurrence writes: its own record, and the update that makes the item's record describe it. The
 * update creates the record, or reopens it whatever its status (a later attempt set the item aside again), and
 * counts the occurrence; it needs no read, so the commit transaction carries it as it is.
 * @example TransactItems.push({ Put: { TableName, Item: w.occurrence } }, { Update: { TableName, ...w.record } });
 */
export function occurrenceWrites(
  ref: OccurrenceRef,
  exception: NewException,
  at: string,
): { occurrence: Record<string, unknown>; record: RecordUpdate } {
  const o = parse(OccurrenceInput, ref, 'exception occurrence');
  const e = parse(NewExceptionInput, exception, 'exception');
  const details = boundedDetails(e.details);
  const key = keys.exception(o.jobId, ref.scope, e.itemId);
  const sample = ref.scope.kind === 'sample' ? ref.scope.runId : undefined;
  const occurrence = {
    ...keys.occurrence(o.jobId, ref.scope, e.itemId, o),
    jobId: o.jobId,
    itemId: e.itemId,
    runId: o.runId,
    batchStart: o.start,
    token: o.token,
    kind: e.kind,
    details,
    at,
  };
  const indexed = statusAttributes(o.jobId, ref.scope, key.sk, 'OPEN');
  const values: Record<string, unknown> = {
    ':job': o.jobId,
    ':item': e.itemId,
    ':run': o.runId,
    ':start': o.start,
    ':kind': e.kind,
    ':details': details,
    ':open': 'OPEN',
    ':at': at,
    ':occ': occurrenceIdOf(o),
    ':zero': 0,
    ':one': 1,
    ...(sample ? { ':sample': sample } : { ':statusPk': indexed.statusPk, ':statusSk': indexed.statusSk }),
  };
  const set = [
    'jobId = :job',
    'itemId = :item',
    'runId = :run',
    'batchStart = :start',
    'kind = :kind',
    'details = :details',
    'status = :open',
    'lastSeenAt = :at',
    'lastOccurrence = :occ',
    'createdAt = if_not_exists(createdAt, :at)',
    'requeues = if_not_exists(requeues, :zero)',
    ...(sample ? ['sampleRunId = :sample'] : ['statusPk = :statusPk', 'statusSk = :statusSk']),
  ];
  return {
    occurrence,
    record: {
      Key: key,
      UpdateExpression: `SET ${set.join(', ')} ADD occurrences :one REMOVE supersededBy`,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * The attributes that move together whenever an exception changes status: `status` and, for the job's review
 * queue (not a sample's), the byStatus GSI keys.
 */
export function statusAttributes(jobId: string, scope: BatchScope, sk: string, status: ExceptionStatus) {
  if (scope.kind === 'sample') return { status };
  return { status, statusPk: keys.exceptionStatusPk(jobId, status), statusSk: sk };
}

const SAMPLE_ID = /^S#([A-Za-z0-9_-]{1,80})#(\d{1,16})$/;

/**
 * The record key and scope of an exception id as callers see it: the item id (padded or not) for the job's
 * queue, `S#<runId>#<item id>` for a sample run's. A malformed id is a ValidationError on `exceptionId` rather
 * than a lookup that silently finds nothing.
 */
export function exceptionKey(
  jobId: string,
  exceptionId: string,
): { key: { pk: string; sk: string }; scope: BatchScope; itemId: number } {
  const text = typeof exceptionId === 'string' ? exceptionId : '';
  const sample = SAMPLE_ID.exec(text);
  const itemText = sample ? sample[2] : /^\d{1,16}$/.test(text) ? text : undefined;
  const itemId = Number(itemText);
  if (itemText === undefined || !Number.isSafeInteger(itemId) || itemId < 1) {
    throw new ValidationError([
      { field: 'exceptionId', rule: 'must be an item id (a positive integer), or S#<runId>#<item id>' },
    ]);
  }
  const scope: BatchScope = sample ? { kind: 'sample', runId: sample[1] as string } : { kind: 'inventory' };
  return { key: keys.exception(jobId, scope, itemId), scope, itemId };
}

/** The exception id a record shows: its sort key without the prefix. */
export function exceptionIdOf(x: { itemId: number; sampleRunId?: string }): string {
  return x.sampleRunId ? `S#${x.sampleRunId}#${pad(x.itemId)}` : pad(x.itemId);
}

const ExceptionItem = z.object({
  jobId: z.string(),
  itemId: z.number().int(),
  sampleRunId: z.string().optional(),
  runId: z.string(),
  batchStart: z.number().int(),
  kind: z.string(),
  details: z.record(z.string(), z.unknown()),
  status: z.enum(EXCEPTION_STATUSES),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  occurrences: z.number().int(),
  lastOccurrence: z.string(),
  requeues: z.number().int(),
  note: z.string().optional(),
  resolvedAt: z.string().optional(),
  requeuedAs: z.object({ datasetId: z.string(), id: z.number().int() }).optional(),
  supersededBy: z.object({ runId: z.string(), at: z.string() }).optional(),
});

/**
 * An exception read back from the table. A malformed item (hand-edited, or written by an old version) is a
 * ValidationError naming the attribute, never a half-typed object.
 */
export function fromExceptionItem(raw: unknown): ItemException {
  const x = parse(ExceptionItem, raw, 'exception record');
  return { ...x, exceptionId: exceptionIdOf(x) };
}

const OccurrenceItem = z.object({
  jobId: z.string(),
  itemId: z.number().int(),
  runId: z.string(),
  batchStart: z.number().int(),
  token: z.number().int(),
  kind: z.string(),
  details: z.record(z.string(), z.unknown()),
  at: z.string(),
});

export function fromOccurrenceItem(raw: unknown): ExceptionOccurrence {
  return parse(OccurrenceItem, raw, 'exception occurrence');
}

function boundedDetails(details: Record<string, unknown>): Record<string, unknown> {
  const text = JSON.stringify(details);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= MAX_DETAILS_BYTES) return details;
  return { truncated: true, bytes, preview: text.slice(0, PREVIEW_CHARS) };
}
