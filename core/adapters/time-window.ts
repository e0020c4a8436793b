import { keys } from '../contracts/tables.ts';
import type { TimeWindow } from '../ports/index.ts';
import { type InventoryCtx, queryItems } from './dynamo-support.ts';

/** Above every character of an ISO instant and of a zero-padded id: closes a range after its last key. */
const AFTER = '~';

/**
 * The sort key range of a window over records keyed `<prefix><iso time><tail>`: `tail` is what may follow the
 * instant in a key (`#<start>` for H#, nothing for C#), so the upper bound takes every key at `until`.
 * @example skRange('H#', { until: '2026-01-01T00:00:00.000Z' }, true) // ['H#', 'H#2026-01-01T00:00:00.000Z~']
 */
export function skRange(prefix: string, window: TimeWindow, tail: boolean): readonly [string, string] {
  const lo = `${prefix}${window.since ?? ''}`;
  const hi =
    window.until === undefined ? `${prefix}${AFTER}` : `${prefix}${window.until}${tail ? AFTER : ''}`;
  return [lo, hi];
}

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
