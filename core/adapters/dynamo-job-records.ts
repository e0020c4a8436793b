import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { JobDeletingError, JobNotFoundError } from '../errors.ts';
import type { Job, Run } from '../model.ts';
import type { Page, PageRequest } from '../ports.ts';
import { deleteKeys, type InventoryCtx, isConditionalCheckFailed, transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromJobItem, fromRunItem, toJobItem, toRunItem } from './inventory-records.ts';
import { decodeCursor, encodeCursor } from './paging.ts';

export async function putJob(ctx: InventoryCtx, job: Job) {
  const out = await transact(ctx, [
    {
      // One job per id: a second create sees the first (ALL_OLD) and decides no-op or conflict.
      Put: {
        TableName: ctx.table,
        Item: toJobItem(job),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    { Put: { TableName: ctx.table, Item: { ...keys.jobListing(job.jobId), jobId: job.jobId } } },
    { Put: { TableName: ctx.table, Item: configHistoryItem(job, job.createdAt) } },
  ]);
  if (out.ok) return { created: true as const };
  const existing = out.reasons[0]?.item;
  if (out.reasons[0]?.code === 'ConditionalCheckFailed' && existing) {
    return { created: false as const, existing: fromJobItem(existing) };
  }
  // A conflicting transaction (two creators at once): the first one's record is now readable.
  const now = await getJob(ctx, job.jobId);
  if (now) return { created: false as const, existing: now };
  throw new Error(`creating job ${job.jobId} was cancelled: ${out.reasons.map((r) => r.code).join(',')}`);
}

const configHistoryItem = (job: Pick<Job, 'jobId' | 'config' | 'configHash' | 'processor'>, at: string) => ({
  ...keys.configHistory(job.jobId, at),
  kind: 'config',
  config: job.config,
  configHash: job.configHash,
  processorVersion: job.processor.version,
  at,
});

export async function getJob(ctx: InventoryCtx, jobId: string): Promise<Job | undefined> {
  const out = await ctx.doc.send(
    new GetCommand(aliasNames({ TableName: ctx.table, Key: keys.job(jobId), ConsistentRead: true })),
  );
  return out.Item ? fromJobItem(out.Item) : undefined;
}

export async function listJobs(ctx: InventoryCtx, page: PageRequest = {}): Promise<Page<Job>> {
  const out = await ctx.doc.send(
    new QueryCommand(
      aliasNames({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'JOBS' },
        Limit: page.limit ?? 50,
        ExclusiveStartKey: decodeCursor(page.next),
      }),
    ),
  );
  const jobs: Job[] = [];
  for (const row of out.Items ?? []) {
    const job = await getJob(ctx, String(row.jobId));
    if (job) jobs.push(job);
  }
  return { items: jobs, next: encodeCursor(out.LastEvaluatedKey) };
}

export async function updateJobConfig(
  ctx: InventoryCtx,
  jobId: string,
  change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
  at: string,
): Promise<Job> {
  const current = await getJob(ctx, jobId);
  if (!current) throw new JobNotFoundError({ jobId });
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.job(jobId),
        UpdateExpression: 'SET config = :c, configHash = :h, processor.version = :v, updatedAt = :at',
        // A job being deleted takes no new config; the job must still exist.
        ConditionExpression: 'attribute_exists(pk) AND #state = :active',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':c': change.config,
          ':h': change.configHash,
          ':v': change.processorVersion,
          ':at': at,
          ':active': 'ACTIVE',
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: ctx.table,
        Item: configHistoryItem(
          {
            ...current,
            config: change.config as Job['config'],
            configHash: change.configHash,
            processor: { ...current.processor, version: change.processorVersion },
          },
          at,
        ),
      },
    },
  ]);
  if (!out.ok) {
    const old = out.reasons[0]?.item;
    if (!old) throw new JobNotFoundError({ jobId });
    if (old.state === 'DELETING') throw new JobDeletingError({ jobId });
    throw new Error(`config update of ${jobId} was cancelled: ${out.reasons.map((r) => r.code).join(',')}`);
  }
  const job = await getJob(ctx, jobId);
  if (!job) throw new JobNotFoundError({ jobId });
  return job;
}

export async function markJobDeleting(ctx: InventoryCtx, jobId: string, at: string): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand(
        aliasNames({
          TableName: ctx.table,
          Key: keys.job(jobId),
          UpdateExpression: 'SET #state = :deleting, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':deleting': 'DELETING', ':at': at },
        }),
      ),
    );
  } catch (e) {
    if (isConditionalCheckFailed(e)) throw new JobNotFoundError({ jobId });
    throw e;
  }
}

/** Delete one page of the job's partition, keeping META (deleted last, so a re-run can find the job). */
export async function deletePage(ctx: InventoryCtx, jobId: string, limit: number): Promise<number> {
  const out = await ctx.doc.send(
    new QueryCommand(
      aliasNames({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': keys.jobPk(jobId) },
        ProjectionExpression: 'pk, sk',
        Limit: limit + 1,
      }),
    ),
  );
  const doomed = (out.Items ?? []).filter((i) => i.sk !== 'META').slice(0, limit);
  await deleteKeys(ctx.doc, ctx.table, doomed);
  return doomed.length;
}

export async function deleteJobRecord(ctx: InventoryCtx, jobId: string): Promise<void> {
  await transact(ctx, [
    { Delete: { TableName: ctx.table, Key: keys.jobListing(jobId) } },
    { Delete: { TableName: ctx.table, Key: keys.job(jobId) } },
  ]);
}

export async function putRun(ctx: InventoryCtx, run: Run): Promise<void> {
  try {
    // The first plan of a run wins; a retried Plan finds it and reuses its manifest.
    await ctx.doc.send(
      new PutCommand(
        aliasNames({
          TableName: ctx.table,
          Item: toRunItem(run),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  } catch (e) {
    if (!isConditionalCheckFailed(e)) throw e;
  }
}

export async function getRun(ctx: InventoryCtx, jobId: string, runId: string): Promise<Run | undefined> {
  const out = await ctx.doc.send(
    new GetCommand(aliasNames({ TableName: ctx.table, Key: keys.run(jobId, runId), ConsistentRead: true })),
  );
  return out.Item ? fromRunItem(out.Item) : undefined;
}

export async function listRuns(ctx: InventoryCtx, jobId: string, page: PageRequest = {}): Promise<Page<Run>> {
  const out = await ctx.doc.send(
    new QueryCommand(
      aliasNames({
        TableName: ctx.table,
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

export async function finishRun(
  ctx: InventoryCtx,
  jobId: string,
  runId: string,
  patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>,
): Promise<Run> {
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.run(jobId, runId),
        UpdateExpression: `SET #status = :s, finishedAt = :f${patch.stats ? ', stats = :st' : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':s': patch.status, ':f': patch.finishedAt, ':st': patch.stats },
      },
    },
    {
      Update: {
        TableName: ctx.table,
        Key: keys.job(jobId),
        UpdateExpression: 'SET lastRunId = :r',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':r': runId },
      },
    },
  ]);
  if (!out.ok) throw new JobNotFoundError({ jobId });
  const run = await getRun(ctx, jobId, runId);
  if (!run) throw new JobNotFoundError({ jobId });
  return run;
}
