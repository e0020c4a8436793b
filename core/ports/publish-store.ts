import type { BatchScope } from '../model.ts';

/** A batch's exceptions staged as an S3 object (JSON Lines of NewException) before its commit. */
export interface StagedExceptions {
  readonly key: string;
  /** When they were found: the exceptions' createdAt. */
  readonly at: string;
}

/**
 * Staged exceptions of a committed attempt, to be written to the exceptions table: recorded in the commit
 * transaction, removed once they are all written.
 */
export interface ExceptionPublish extends StagedExceptions {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly runId: string;
  readonly token: number;
}

/** Staged exceptions named by commits, until they are all written to the exceptions table. */
export interface PublishStore {
  /** Staged exceptions of committed attempts not yet published. */
  pendingPublishes(jobId: string): Promise<ExceptionPublish[]>;
  /** The staged exceptions are all written: the record goes. */
  finishPublish(p: ExceptionPublish): Promise<void>;
}
