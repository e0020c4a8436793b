import type { Run } from '../model.ts';
import type { Page, PageRequest } from './common.ts';
import type { JobEvent } from './event-bus.ts';

/** Run records: one per execution, written by Plan, closed by Finalize. */
export interface RunStore {
  /** The first plan of a run wins: a second put of the same run is a no-op. */
  putRun(run: Run): Promise<void>;
  getRun(jobId: string, runId: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(jobId: string, page?: PageRequest): Promise<Page<Run>>;
  /**
   * Close the run and name it the job's last run. The first close also records `event` (the run's end) in the
   * job's event log, in the same transaction; closing again (a retried Finalize) updates the run only.
   */
  finishRun(
    jobId: string,
    runId: string,
    patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>,
    event?: JobEvent,
  ): Promise<Run>;
}
