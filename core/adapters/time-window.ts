import { keys, skRange } from '../contracts/tables.ts';
import type { TimeWindow } from '../ports/index.ts';
import { type InventoryCtx, queryItems } from './dynamo-support.ts';

/**
 * Items of a job's partition whose sort keys are `<prefix><iso time>...` within `window`, in time order (or
 * newest first), read consistently page by page.
 */
export function windowItems(
  ctx: InventoryCtx,
  jobId: string,
  prefix: string,
  window: TimeWindow,
  tail: boolean,
): AsyncGenerator<Record<string, unknown>> {
  const [lo, hi] = skRange(prefix, window, tail);
  return queryItems(ctx.doc, {
    TableName: ctx.table,
    KeyConditionExpression: 'pk = :p AND sk BETWEEN :lo AND :hi',
    ExpressionAttributeValues: { ':p': keys.jobPk(jobId), ':lo': lo, ':hi': hi },
    ScanIndexForward: window.newestFirst !== true,
    ConsistentRead: true,
    Limit: window.pageSize,
  });
}
