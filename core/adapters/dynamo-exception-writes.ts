import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import { RetryableError, ValidationError } from '../errors.ts';
import type { ExceptionStatus } from '../model.ts';
import type { Decision, DecisionOutcome, OccurrenceRef } from '../ports/index.ts';
import { Id, Name, parseField, Text } from '../validation.ts';
import { isConditionalCheckFailed, sleep, type TransactItem, transact } from './dynamo-support.ts';
import {
  exceptionKey,
  fromExceptionItem,
  type occurrenceWrites,
  statusAttributes,
} from './exception-record.ts';
import { aliasNames } from './expression-names.ts';

/**
 * The conditional writes of DynamoExceptionStore: publishing an occurrence once, a reviewer's decisions in
 * transactions, closing a record as superseded. Each write states the rule it keeps in its condition.
 */

/** Where the writes go. */
export interface ExceptionTable {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
}

const RequeuedAs = z.strictObject({ datasetId: Name, id: Id });
/** Rounds of a transaction that DynamoDB cancelled for a conflict or throttling before giving up. */
const BUSY_ROUNDS = 8;

/**
 * One occurrence and its record together: the occurrence only if absent (so a repeat stops here), the record
 * only if nothing newer reached it meanwhile (a later attempt's occurrence, or a commit that superseded it).
 */
export async function publishOccurrence(
  t: ExceptionTable,
  w: ReturnType<typeof occurrenceWrites>,
  at: string,
): Promise<void> {
  const occurrence = {
    Put: { TableName: t.table, Item: w.occurrence, ConditionExpression: 'attribute_not_exists(pk)' },
  };
  const record = {
    Update: {
      TableName: t.table,
      ...w.record,
      ExpressionAttributeValues: { ...w.record.ExpressionAttributeValues, ':seenBy': at },
      ConditionExpression: 'attribute_not_exists(pk) OR lastSeenAt <= :seenBy',
    },
  };
  for (let round = 0; ; round++) {
    const out = await transact(t, [occurrence, record]);
    if (out.ok) return;
    const [occ, rec] = out.reasons;
    if (occ?.code === 'ConditionalCheckFailed') return; // published before
    if (rec?.code === 'ConditionalCheckFailed') {
      // Something newer holds the record: keep the occurrence in the history only.
      const only = await transact(t, [occurrence]);
      if (only.ok || only.reasons[0]?.code === 'ConditionalCheckFailed') return;
    }
    await busy(t, round, 'publish an exception occurrence');
  }
}

/** A decision ready to send: its update request, and which exception it is about. */
export interface PendingDecision {
  readonly exceptionId: string;
  readonly update: NonNullable<TransactItem['Update']>;
}

/**
 * One decision as a conditional update: only an OPEN record of the job's queue, at the occurrence the reviewer
 * saw (`seen`), moves; a requeue counts in `requeues`. Bad input is refused here, before any is sent.
 */
export function decisionUpdate(
  table: string,
  jobId: string,
  d: Decision & { seen?: string },
  at: string,
): PendingDecision {
  const { key, scope } = exceptionKey(jobId, d.exceptionId);
  if (scope.kind === 'sample') {
    const rule = `must name an exception of the job's queue (${d.exceptionId} is a sample run's)`;
    throw new ValidationError([{ field: 'exceptionId', rule }]);
  }
  const moved = statusAttributes(jobId, scope, key.sk, d.to);
  const values: Record<string, unknown> = {
    ':status': d.to,
    ':statusPk': moved.statusPk,
    ':open': 'OPEN',
    ':at': at,
    ...(d.seen ? { ':seen': d.seen } : {}),
  };
  let set = 'status = :status, statusPk = :statusPk, resolvedAt = :at';
  let tail = ' REMOVE requeuedAs';
  if (d.note !== undefined) {
    values[':note'] = parseField(Text(2000), d.note, 'note');
    set += ', note = :note';
  }
  if (d.to === 'REQUEUED') {
    values[':as'] = parseField(RequeuedAs, d.requeuedAs, 'requeuedAs');
    values[':one'] = 1;
    set += ', requeuedAs = :as';
    tail = ' ADD requeues :one';
  }
  return {
    exceptionId: d.exceptionId,
    update: {
      TableName: table,
      Key: key,
      UpdateExpression: `SET ${set}${tail}`,
      ConditionExpression: `attribute_exists(pk) AND status = :open${d.seen ? ' AND lastOccurrence = :seen' : ''}`,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * One transaction of decisions; those whose condition failed are taken (with the status found), the rest go
 * again without them. Returns the ids that moved.
 */
export async function decidePage(
  t: ExceptionTable,
  page: readonly PendingDecision[],
): Promise<{ moved: string[]; taken: DecisionOutcome['taken'] }> {
  const taken: DecisionOutcome['taken'] = [];
  let left = [...page];
  for (let round = 0; left.length > 0; round++) {
    const out = await transact(
      t,
      left.map((d) => ({ Update: d.update }) as TransactItem),
    );
    if (out.ok) break;
    const failed = new Set<number>();
    out.reasons.forEach((r, i) => {
      if (r.code !== 'ConditionalCheckFailed') return;
      failed.add(i);
      const status: ExceptionStatus | 'MISSING' = r.item ? fromExceptionItem(r.item).status : 'MISSING';
      taken.push({ exceptionId: (left[i] as PendingDecision).exceptionId, status });
    });
    if (failed.size === 0) await busy(t, round, 'record review decisions');
    left = left.filter((_, i) => !failed.has(i));
  }
  const takenIds = new Set(taken.map((x) => x.exceptionId));
  return { moved: page.map((d) => d.exceptionId).filter((id) => !takenIds.has(id)), taken };
}

/** Close one record as superseded by the commit `by`: only while OPEN at the occurrence that commit processed. */
export async function supersedeOne(
  t: ExceptionTable,
  by: OccurrenceRef,
  d: { itemId: number; seen: string },
  at: string,
): Promise<boolean> {
  const key = keys.exception(by.jobId, { kind: 'inventory' }, d.itemId);
  const moved = statusAttributes(by.jobId, { kind: 'inventory' }, key.sk, 'SUPERSEDED');
  try {
    await t.doc.send(
      new UpdateCommand(
        aliasNames({
          TableName: t.table,
          Key: key,
          UpdateExpression:
            'SET status = :status, statusPk = :statusPk, supersededBy = :by, lastSeenAt = :at',
          // Still open at the occurrence this commit processed: a review or a newer occurrence wins.
          ConditionExpression: 'status = :open AND lastOccurrence = :seen',
          ExpressionAttributeValues: {
            ':status': 'SUPERSEDED',
            ':statusPk': moved.statusPk,
            ':by': { runId: by.runId, at },
            ':at': at,
            ':open': 'OPEN',
            ':seen': d.seen,
          },
        }),
      ),
    );
    return true;
  } catch (e) {
    if (isConditionalCheckFailed(e)) return false;
    throw e;
  }
}

/** Back off before another round of a transaction DynamoDB cancelled for a conflict or throttling. */
async function busy(t: ExceptionTable, round: number, what: string): Promise<void> {
  if (round + 1 >= BUSY_ROUNDS) {
    throw new RetryableError(`DynamoDB stayed busy; could not ${what} after ${round + 1} tries`, {
      context: { table: t.table },
    });
  }
  await sleep(Math.random() * Math.min(1000, 25 * 2 ** round));
}
