import { decodeCursor, encodeCursor } from '../../../core/adapters/paging.ts';
import { keys, skRange } from '../../../core/contracts/tables.ts';
import { JobDeletingError, JobNotFoundError } from '../../../core/errors.ts';
import type { Job } from '../../../core/model.ts';
import type { ConfigVersion, JobStore, Page, PageRequest, TimeWindow } from '../../../core/ports/index.ts';
import { type FakeContext, type InventoryRecord, jobOf, putJob } from './fake-records.ts';
import { copy, pageOf } from './fake-table.ts';

const LISTING_PK = keys.jobListing('').pk;

const configRecord = (
  job: Pick<Job, 'config' | 'configHash' | 'processor'>,
): Extract<InventoryRecord, { kind: 'config' }> => ({
  kind: 'config',
  config: copy(job.config),
  configHash: job.configHash,
  processorVersion: job.processor.version,
});

/**
 * JobStore in memory, with DynamoJobStore's rules: one job per id (a second put answers the first), a job being
 * deleted takes no new config, a deletion page takes everything of the job's partition but its record.
 */
export class FakeJobStore implements JobStore {
  constructor(private readonly ctx: FakeContext) {}

  async putJob(job: Job): Promise<{ created: true } | { created: false; existing: Job }> {
    const t = this.ctx.tables;
    const existing = jobOf(t, job.jobId);
    if (existing) return { created: false, existing: copy(existing) };
    putJob(t, job);
    t.inventory.put(keys.jobListing(job.jobId), { kind: 'job-listing', jobId: job.jobId });
    t.inventory.put(keys.configHistory(job.jobId, job.createdAt), configRecord(job));
    return { created: true };
  }

  async getJob(jobId: string): Promise<Job | undefined> {
    const job = jobOf(this.ctx.tables, jobId);
    return job && copy(job);
  }

  async listJobs(page: PageRequest = {}): Promise<Page<Job>> {
    const after = decodeCursor(page.next)?.sk;
    const listed = pageOf(this.ctx.tables.inventory.partition(LISTING_PK), page.limit ?? 50, after as string);
    const items = listed.rows.flatMap(([jobId]) => {
      const job = jobOf(this.ctx.tables, jobId);
      return job ? [copy(job)] : [];
    });
    const next = listed.last === undefined ? undefined : { pk: LISTING_PK, sk: listed.last };
    return { items, next: encodeCursor(next) };
  }

  async updateJobConfig(
    jobId: string,
    change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
    at: string,
  ): Promise<Job> {
    const current = jobOf(this.ctx.tables, jobId);
    if (!current) throw new JobNotFoundError({ jobId });
    if (current.state !== 'ACTIVE') throw new JobDeletingError({ jobId });
    const job: Job = {
      ...current,
      config: copy(change.config) as Job['config'],
      configHash: change.configHash,
      processor: { ...current.processor, version: change.processorVersion },
      updatedAt: at,
    };
    putJob(this.ctx.tables, job);
    this.ctx.tables.inventory.put(keys.configHistory(jobId, at), configRecord(job));
    return copy(job);
  }

  /** C#<iso time> records within the window's key range, in key (time) order or reversed. */
  async *configHistory(jobId: string, window: TimeWindow = {}): AsyncIterable<ConfigVersion> {
    const [lo, hi] = skRange('C#', window, false);
    const rows = this.ctx.tables.inventory.between(keys.jobPk(jobId), lo, hi);
    if (window.newestFirst) rows.reverse();
    for (const [sk, r] of rows) {
      if (r.kind !== 'config') continue;
      const { config, configHash, processorVersion } = copy(r);
      yield { jobId, at: sk.slice(2), config, configHash, processorVersion };
    }
  }

  async markJobDeleting(jobId: string, at: string): Promise<void> {
    const job = jobOf(this.ctx.tables, jobId);
    if (!job) throw new JobNotFoundError({ jobId });
    putJob(this.ctx.tables, { ...job, state: 'DELETING', updatedAt: at });
  }

  /** The first `limit` records of the partition in key order, META kept (it is deleted last). */
  async deletePage(jobId: string, limit: number): Promise<number> {
    const pk = keys.jobPk(jobId);
    const doomed = this.ctx.tables.inventory
      .partition(pk)
      .slice(0, limit + 1)
      .filter(([sk]) => sk !== 'META')
      .slice(0, limit);
    for (const [sk] of doomed) this.ctx.tables.inventory.delete({ pk, sk });
    return doomed.length;
  }

  async deleteJobRecord(jobId: string): Promise<void> {
    this.ctx.tables.inventory.delete(keys.jobListing(jobId));
    this.ctx.tables.inventory.delete(keys.job(jobId));
  }
}
