import type { Attempt, BatchScope } from '../model.ts';

/** The attempt log: every try of every batch, never overwritten. */
export interface AttemptStore {
  /** Attempts of a job's batches (or of one batch), in batch order. */
  list(jobId: string, scope: BatchScope, start?: number): AsyncIterable<Attempt>;
  runAttempts(jobId: string, runId: string): AsyncIterable<Attempt>;
  /**
   * A worker died without recording its end (timeout, out of memory): mark its attempt FAILED, but only if
   * the batch is still held by that run with the token read, so a newer owner is never disturbed.
   */
  failAbandoned(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  }): Promise<boolean>;
}
