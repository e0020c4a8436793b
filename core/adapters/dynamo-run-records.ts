import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { JobNotFoundError } from '../errors.ts';
import type { Run } from '../model.ts';
import type { JobEvent, Page, PageRequest, RunStore } from '../ports/index.ts';
import { eventPuts } from './dynamo-event-log.ts';
import {
  DynamoInventoryAdapter,
  isConditionalCheckFailed,
  type TransactItem,
  transact,
} from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromRunItem, toRunItem } from './inventory-records.ts';
import { decodeCursor, encodeCursor } from './paging.ts';

/** RunStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoRunStore extends DynamoInventoryAdapter implements RunStore {
  async putRun(run: Run): Promise<void> {
    try {
      // The first plan of a run wins; a retried Plan finds it and reuses its manifest.
      await this.ctx.doc.send(
        new PutCommand(
          aliasNames({
            TableName: this.ctx.table,
            Item: toRunItem(run),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
    }
  }

  async getRun(jobId: string, runId: string): Promise<Run | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand(
        aliasNames({ TableName: this.ctx.table, Key: keys.run(jobId, runId), ConsistentRead: true }),
      ),
    );
    return out.Item ? fromRunItem(out.Item) : undefined;
  }

  async listRuns(jobId: string, page: PageRequest = {}): Promise<Page<Run>> {
    const out = await this.ctx.doc.send(
      new QueryCommand(
        aliasNames({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :r)',
          ExpressionAttributeValues: { ':p': keys.jobPk(jobId), ':r': 'R#' },
          ScanIndexForward: false,
          Limit: page.limit ?? 50,
          ExclusiveStartKey: decodeCursor(page.next),
        }),
      ),
    );
    return { items: (out.Items ?? []).map(fromRunItem), next: encodeCursor(out.LastEvaluatedKey) };
  }

  async finishRun(
    jobId: string,
    runId: string,
    patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>,
    event?: JobEvent,
  ): Promise<Run> {
    const close = (withEvent: boolean): TransactItem[] => [
      {
        Update: {
          TableName: this.ctx.table,
          Key: keys.run(jobId, runId),
          UpdateExpression: `SET #status = :s, finishedAt = :f${patch.stats ? ', stats = :st' : ''}${withEvent ? ', endEventId = :e' : ''}`,
          // The run's end is told once: the close that records the event is the first one.
          ConditionExpression: `attribute_exists(pk)${withEvent ? ' AND attribute_not_exists(endEventId)' : ''}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':s': patch.status,
            ':f': patch.finishedAt,
            ':st': patch.stats,
            ...(withEvent ? { ':e': event?.eventId } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: this.ctx.table,
          Key: keys.job(jobId),
          UpdateExpression: 'SET lastRunId = :r',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':r': runId },
        },
      },
      ...(withEvent && event
        ? eventPuts(event).map((Item) => ({ Put: { TableName: this.ctx.table, Item } }))
        : []),
    ];
    let out = await transact(this.ctx, close(event !== undefined));
    // The event was recorded by an earlier close (its run has endEventId): close again without it.
    if (!out.ok && event && out.reasons[0]?.code === 'ConditionalCheckFailed' && out.reasons[0].item)
      out = await transact(this.ctx, close(false));
    if (!out.ok) throw new JobNotFoundError({ jobId });
    const run = await this.getRun(jobId, runId);
    if (!run) throw new JobNotFoundError({ jobId });
    return run;
  }
}
