import type { Run } from '../model.ts';
import type { Page, PageRequest } from './common.ts';

/** Run records: one per execution, written by Plan, closed by Finalize. */
export interface RunStore {
  /** The first plan of a run wins: a second put of the same run is a no-op. */
  putRun(run: Run): Promise<void>;
  getRun(jobId: string, runId: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(jobId: string, page?: PageRequest): Promise<Page<Run>>;
  /** Close the run and name it the job's last run. */
  finishRun(jobId: string, runId: string, patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>): Promise<Run>;
}
