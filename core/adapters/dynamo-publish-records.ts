import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import type { BatchScope } from '../model.ts';
import type { CommitInput, ExceptionPublish, PublishStore, StagedExceptions } from '../ports/index.ts';
import { DynamoInventoryAdapter, jobItems } from './dynamo-support.ts';

/**
 * Records of committed attempts whose staged exceptions are still to be written (see core/exceptions/exception-staging.ts):
 * put by the commit transaction, deleted once the exceptions are all in the exceptions table.
 */

/** The record a commit with staged exceptions writes in its transaction. */
export function publishItem(c: CommitInput, staged: StagedExceptions): Record<string, unknown> {
  const p: ExceptionPublish = {
    jobId: c.jobId,
    scope: c.scope,
    start: c.start,
    runId: c.runId,
    token: c.token,
    ...staged,
  };
  return { ...keys.publish(c.jobId, c.scope, c.start, c.token), kind: 'publish', ...p };
}

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
        runId: String(item.runId),
        token: Number(item.token),
        key: String(item.key),
        at: String(item.at),
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
