import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../contracts/tables.ts';
import { JobDeletingError, JobNotFoundError } from '../errors.ts';
import type { Job } from '../model.ts';
import type { ConfigVersion, JobStore, Page, PageRequest, TimeWindow } from '../ports/index.ts';
import { DynamoInventoryAdapter, deleteKeys, isConditionalCheckFailed, transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { fromJobItem, toJobItem } from './inventory-records.ts';
import { decodeCursor, encodeCursor } from './paging.ts';
import { windowItems } from './time-window.ts';

const configHistoryItem = (job: Pick<Job, 'jobId' | 'config' | 'configHash' | 'processor'>, at: string) => ({
  ...keys.configHistory(job.jobId, at),
  kind: 'config',
  config: job.config,
  configHash: job.configHash,
  processorVersion: job.processor.version,
  at,
});

/** JobStore on DynamoDB (layout in core/contracts/tables.ts). */
export class DynamoJobStore extends DynamoInventoryAdapter implements JobStore {
  async putJob(job: Job) {
    const out = await transact(this.ctx, [
      {
        // One job per id: a second create sees the first (ALL_OLD) and decides no-op or conflict.
        Put: {
          TableName: this.ctx.table,
          Item: toJobItem(job),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      { Put: { TableName: this.ctx.table, Item: { ...keys.jobListing(job.jobId), jobId: job.jobId } } },
      { Put: { TableName: this.ctx.table, Item: configHistoryItem(job, job.createdAt) } },
    ]);
    if (out.ok) return { created: true as const };
    const existing = out.reasons[0]?.item;
    if (out.reasons[0]?.code === 'ConditionalCheckFailed' && existing) {
      return { created: false as const, existing: fromJobItem(existing) };
    }
    // A conflicting transaction (two creators at once): the first one's record is now readable.
    const now = await this.getJob(job.jobId);
    if (now) return { created: false as const, existing: now };
    throw new Error(`creating job ${job.jobId} was cancelled: ${out.reasons.map((r) => r.code).join(',')}`);
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand(aliasNames({ TableName: this.ctx.table, Key: keys.job(jobId), ConsistentRead: true })),
    );
    return out.Item ? fromJobItem(out.Item) : undefined;
  }

  async listJobs(page: PageRequest = {}): Promise<Page<Job>> {
    const out = await this.ctx.doc.send(
      new QueryCommand(
        aliasNames({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': 'JOBS' },
          Limit: page.limit ?? 50,
          ExclusiveStartKey: decodeCursor(page.next),
        }),
      ),
    );
    const jobs: Job[] = [];
    for (const row of out.Items ?? []) {
      const job = await this.getJob(String(row.jobId));
      if (job) jobs.push(job);
    }
    return { items: jobs, next: encodeCursor(out.LastEvaluatedKey) };
  }

  async updateJobConfig(
    jobId: string,
    change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
    at: string,
  ): Promise<Job> {
    const current = await this.getJob(jobId);
    if (!current) throw new JobNotFoundError({ jobId });
    const out = await transact(this.ctx, [
      {
        Update: {
          TableName: this.ctx.table,
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
          TableName: this.ctx.table,
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
    const job = await this.getJob(jobId);
    if (!job) throw new JobNotFoundError({ jobId });
    return job;
  }

  /** C#<iso time> records: their keys are in time order, so the window is a key range. */
  async *configHistory(jobId: string, window: TimeWindow = {}): AsyncIterable<ConfigVersion> {
    for await (const item of windowItems(this.ctx, jobId, 'C#', window, false)) {
      yield {
        jobId,
        at: String(item.at),
        config: (item.config ?? {}) as Record<string, unknown>,
        configHash: String(item.configHash),
        processorVersion: String(item.processorVersion),
      };
    }
  }

  async markJobDeleting(jobId: string, at: string): Promise<void> {
    try {
      await this.ctx.doc.send(
        new UpdateCommand(
          aliasNames({
            TableName: this.ctx.table,
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
  async deletePage(jobId: string, limit: number): Promise<number> {
    const out = await this.ctx.doc.send(
      new QueryCommand(
        aliasNames({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': keys.jobPk(jobId) },
          ProjectionExpression: 'pk, sk',
          Limit: limit + 1,
        }),
      ),
    );
    const doomed = (out.Items ?? []).filter((i) => i.sk !== 'META').slice(0, limit);
    await deleteKeys(this.ctx.doc, this.ctx.table, doomed);
    return doomed.length;
  }

  async deleteJobRecord(jobId: string): Promise<void> {
    await transact(this.ctx, [
      { Delete: { TableName: this.ctx.table, Key: keys.jobListing(jobId) } },
      { Delete: { TableName: this.ctx.table, Key: keys.job(jobId) } },
    ]);
  }
}
