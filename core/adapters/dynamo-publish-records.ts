import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import type { BatchScope } from '../model.ts';
import type { ExceptionPublish, PublishStore } from '../ports/index.ts';
import { DynamoInventoryAdapter, jobItems } from './dynamo-support.ts';

/**
 * Records of committed attempts whose exceptions work is still to be done (see core/exceptions/exception-staging.ts):
 * put by the commit transaction, deleted once it is done.
 */

/** The record of a publish, written in the commit transaction. */
export const publishItem = (p: ExceptionPublish): Record<string, unknown> => ({
  ...keys.publish(p.jobId, p.scope, p.start, p.token),
  kind: 'publish',
  ...p,
});

/** PublishStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoPublishStore extends DynamoInventoryAdapter implements PublishStore {
  /** Staged exceptions of committed attempts, not yet all written (usually none: one Query that reads nothing). */
  async pendingPublishes(jobId: string): Promise<ExceptionPublish[]> {
    const out: ExceptionPublish[] = [];
    for await (const item of jobItems(this.ctx, jobId, 'P#')) {
      const scope = item.scope as BatchScope;
      out.push({
        jobId,
        scope: scope.kind === 'sample' ? { kind: 'sample', runId: scope.runId } : { kind: 'inventory' },
        start: Number(item.start),
        end: Number(item.end),
        runId: String(item.runId),
        token: Number(item.token),
        at: String(item.at),
        ...(typeof item.key === 'string' ? { key: item.key } : {}),
        ...(item.supersede === true ? { supersede: true } : {}),
      });
    }
    return out;
  }

  async finishPublish(p: ExceptionPublish): Promise<void> {
    await this.ctx.doc.send(
      new DeleteCommand({ TableName: this.ctx.table, Key: keys.publish(p.jobId, p.scope, p.start, p.token) }),
    );
  }
}
