import type { ExceptionStatus, ItemException } from '../model.ts';
import type { NewException } from './commit-store.ts';
import type { Page, PageRequest } from './common.ts';

export interface ExceptionStore {
  get(jobId: string, exceptionId: string): Promise<ItemException | undefined>;
  list(jobId: string, status: ExceptionStatus | undefined, page?: PageRequest): Promise<Page<ItemException>>;
  resolve(jobId: string, exceptionId: string, note: string, at: string): Promise<ItemException>;
  markRequeued(
    jobId: string,
    exceptionId: string,
    requeuedAs: { datasetId: string; id: number },
    at: string,
  ): Promise<ItemException>;
  counts(jobId: string): Promise<Record<ExceptionStatus, number>>;
  deletePage(jobId: string, limit: number): Promise<number>;
  /**
   * Write exceptions of a committed attempt as OPEN, each only if it is not there yet: publishing again after
   * a crash never reopens an exception somebody resolved meanwhile.
   */
  putCommitted(
    jobId: string,
    runId: string,
    batchStart: number,
    exceptions: readonly NewException[],
    at: string,
  ): Promise<void>;
}
