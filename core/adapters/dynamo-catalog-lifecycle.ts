import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { ContentionError, DatasetDeletingError, DatasetNotFoundError, ValidationError } from '../errors.ts';
import type { Dataset } from '../model.ts';
import type { AcceptedContent } from '../ports/index.ts';
import { weightAttributes } from './catalog-entries.ts';
import type { CatalogCtx } from './dynamo-catalog-register.ts';
import { backoff, MAX_ATTEMPTS } from './dynamo-catalog-register.ts';
import { deleteKeys, isBusy, isConditionalCheckFailed, transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';

// A data set's lifecycle in the catalog table: the DELETING mark, deletion page by page, and the acceptance of
// a corrected object at a registered location. dynamo-catalog-store.ts delegates here.

/** The data set as stored, read consistently: what a refused write is explained with. */
type DatasetOf = (datasetId: string) => Promise<Dataset | undefined>;

/** DELETING from now on; the register transaction's counter condition refuses new entries from then. */
export async function markDeleting(ctx: CatalogCtx, datasetId: string, at: string): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand(
        aliasNames({
          TableName: ctx.table,
          Key: keys.dataset(datasetId),
          UpdateExpression: 'SET state = :deleting, deletingSince = if_not_exists(deletingSince, :at)',
          // exists: a delete never conjures a data set record it would then have to delete.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':deleting': 'DELETING', ':at': at },
        }),
      ),
    );
  } catch (e) {
    if (isConditionalCheckFailed(e)) throw new DatasetNotFoundError({ datasetId });
    throw e;
  }
}

/** Up to `limit` entries and markers of the partition, META kept (it goes last, with the listing row). */
export async function deletePage(ctx: CatalogCtx, datasetId: string, limit: number): Promise<number> {
  const out = await ctx.doc.send(
    new QueryCommand(
      aliasNames({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': keys.dataset(datasetId).pk },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        Limit: limit + 1,
      }),
    ),
  );
  const doomed = (out.Items ?? []).filter((i) => i.sk !== 'META').slice(0, limit);
  await deleteKeys(ctx.doc, ctx.table, doomed);
  return doomed.length;
}

/** The listing row and META together: a listed data set always has its record. */
export async function deleteRecord(ctx: CatalogCtx, datasetId: string): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const out = await transact(ctx, [
      { Delete: { TableName: ctx.table, Key: keys.datasetListing(datasetId) } },
      { Delete: { TableName: ctx.table, Key: keys.dataset(datasetId) } },
    ]);
    if (out.ok) return;
    if (!isBusy(out.reasons)) break;
    await backoff(attempt);
  }
  throw new ContentionError({ jobId: datasetId, operation: 'deleteDatasetRecord', attempts: MAX_ATTEMPTS });
}

/**
 * The entry's size, checksum and weights become the accepted object's, with acceptedAt, in one transaction
 * with the data set's lastAcceptedAt, written only while the data set is neither gone nor being deleted.
 */
export async function acceptEntry(
  ctx: CatalogCtx,
  datasetOf: DatasetOf,
  datasetId: string,
  start: number,
  content: AcceptedContent,
  at: string,
): Promise<void> {
  const { weight, weightsBin } = weightAttributes(content.weights);
  const set = ['size = :size', 'acceptedAt = :at', weight === undefined ? 'weightsBin = :w' : 'weight = :w'];
  const remove = [weight === undefined ? 'weight' : 'weightsBin'];
  if (content.checksum === undefined) remove.push('checksum');
  else set.push('checksum = :checksum');
  const values: Record<string, unknown> = { ':size': content.size, ':at': at, ':w': weight ?? weightsBin };
  if (content.checksum !== undefined) values[':checksum'] = content.checksum;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const out = await transact(ctx, [
      {
        Update: {
          TableName: ctx.table,
          Key: keys.dataset(datasetId),
          // Readers of batches learn from this one attribute whether any entry can make a batch stale.
          UpdateExpression: 'SET lastAcceptedAt = :at',
          // notDeleting: an entry of a data set being deleted is not rewritten behind the delete's back.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(state)',
          ExpressionAttributeValues: { ':at': at },
        },
      },
      {
        Update: {
          TableName: ctx.table,
          Key: keys.entry(datasetId, start),
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          // entryExists: acceptance changes what an entry holds, never creates one.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
        },
      },
    ]);
    if (out.ok) return;
    if (out.reasons[0]?.code === 'ConditionalCheckFailed') {
      const dataset = await datasetOf(datasetId);
      if (!dataset) throw new DatasetNotFoundError({ datasetId });
      if (dataset.state === 'DELETING') throw new DatasetDeletingError({ datasetId });
    }
    if (out.reasons[1]?.code === 'ConditionalCheckFailed') throw noEntryAt(datasetId, start);
    await backoff(attempt);
  }
  throw new ContentionError({ jobId: datasetId, operation: 'acceptEntry', attempts: MAX_ATTEMPTS });
}

export const noEntryAt = (datasetId: string, start: number) =>
  new ValidationError([
    { field: 'start', rule: `must be the first id of an entry of data set ${datasetId} (${start} is not)` },
  ]);
