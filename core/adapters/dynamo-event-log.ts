import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { keys } from '../contracts/tables.ts';
import { RetryableError } from '../errors.ts';
import { JobEventSchema } from '../events.ts';
import type { EventLog, JobEvent, Page, PageRequest } from '../ports/index.ts';
import { parse } from '../validation.ts';
import {
  cancelCodes,
  DynamoInventoryAdapter,
  isBusy,
  sleep,
  TRANSACT_MAX,
  transact,
} from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { decodeCursor, encodeCursor, pageLimit } from './paging.ts';

/**
 * The items of one event: its place in the job's log (`V#<at>#<eventId>`) and its pending mark
 * (`Q#<eventId>`), both written in the transaction that records what the event tells (a commit, a run's end).
 * @example TransactItems.push(...eventPuts(table, batchCommitted(commit, at)).map((Item) => ({ Put: { TableName: table, Item } })));
 */
export function eventPuts(event: JobEvent): Record<string, unknown>[] {
  const record = { kind: 'event', event };
  return [
    { ...keys.event(event.jobId, event.at, event.eventId), ...record },
    { ...keys.pendingEvent(event.jobId, event.eventId), ...record },
  ];
}

const EventItem = z.object({ event: JobEventSchema });

const fromEventItem = (raw: unknown): JobEvent => parse(EventItem, raw, 'event record').event;

/** EventLog on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoEventLog extends DynamoInventoryAdapter implements EventLog {
  async list(jobId: string, query: { since?: string }, page: PageRequest = {}): Promise<Page<JobEvent>> {
    const pk = keys.jobPk(jobId);
    const out = await this.ctx.doc.send(
      new QueryCommand(
        aliasNames({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
          ExpressionAttributeValues: { ':pk': pk, ':low': `V#${query.since ?? ''}`, ':high': 'V#\uffff' },
          ConsistentRead: true,
          Limit: pageLimit(page.limit),
          ExclusiveStartKey: decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk } }),
        }),
      ),
    );
    return { items: (out.Items ?? []).map(fromEventItem), next: encodeCursor(out.LastEvaluatedKey) };
  }

  async pending(jobId: string, limit: number): Promise<JobEvent[]> {
    const out = await this.ctx.doc.send(
      new QueryCommand(
        aliasNames({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :q)',
          ExpressionAttributeValues: { ':pk': keys.jobPk(jobId), ':q': 'Q#' },
          ConsistentRead: true,
          Limit: pageLimit(limit),
        }),
      ),
    );
    return (out.Items ?? []).map(fromEventItem).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Deletes the marks in transactions of Delete items (DeleteItem, item by item; no BatchWriteItem grant). */
  async markSent(jobId: string, eventIds: readonly string[]): Promise<void> {
    for (let i = 0; i < eventIds.length; i += TRANSACT_MAX) {
      const deletes = eventIds.slice(i, i + TRANSACT_MAX).map((id) => ({
        Delete: { TableName: this.ctx.table, Key: keys.pendingEvent(jobId, id) },
      }));
      for (let round = 0; ; round++) {
        const out = await transact(this.ctx, deletes);
        if (out.ok) break;
        if (round >= 4 || !isBusy(out.reasons))
          throw new RetryableError(
            `could not drop ${deletes.length} pending event marks (${cancelCodes(out.reasons)})`,
          );
        await sleep(25 * 2 ** round);
      }
    }
  }
}
