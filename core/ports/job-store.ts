import type { Job } from '../model.ts';
import type { Page, PageRequest } from './common.ts';

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
  markJobDeleting(jobId: string, at: string): Promise<void>;
  /** Delete one page of the job's partition (everything but META), returns how many were deleted. */
  deletePage(jobId: string, limit: number): Promise<number>;
  deleteJobRecord(jobId: string): Promise<void>;
}
