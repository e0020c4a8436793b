import type { Job } from '../model.ts';
import type { Page, PageRequest } from './common.ts';

/**
 * A window of a time-ordered listing: ISO instants (as `Date#toISOString` writes them), both bounds inclusive,
 * oldest first unless `newestFirst`. `pageSize` is how many records one read fetches (@default the store's).
 */
export interface TimeWindow {
  readonly since?: string;
  readonly until?: string;
  readonly newestFirst?: boolean;
  readonly pageSize?: number;
}

/** One entry of a job's config history: the config it took at `at` (the first one is the job's creation). */
export interface ConfigVersion {
  readonly jobId: string;
  readonly at: string;
  readonly config: Record<string, unknown>;
  readonly configHash: string;
  readonly processorVersion: string;
}

/** Job records: definition, config history, deletion. */
export interface JobStore {
  putJob(job: Job): Promise<{ created: true } | { created: false; existing: Job }>;
  getJob(jobId: string): Promise<Job | undefined>;
  listJobs(page?: PageRequest): Promise<Page<Job>>;
  /** New config from now on; history kept. */
  updateJobConfig(
    jobId: string,
    change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
    at: string,
  ): Promise<Job>;
  /**
   * The job's config history in time order (its key is the instant), within `window`, read page by page: a
   * caller that stops iterating reads no further page.
   */
  configHistory(jobId: string, window?: TimeWindow): AsyncIterable<ConfigVersion>;
  markJobDeleting(jobId: string, at: string): Promise<void>;
  /** Delete one page of the job's partition (everything but META), returns how many were deleted. */
  deletePage(jobId: string, limit: number): Promise<number>;
  deleteJobRecord(jobId: string): Promise<void>;
}
