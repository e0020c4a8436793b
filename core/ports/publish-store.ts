import type { BatchScope } from '../model.ts';

/** A batch's exceptions staged as an S3 object (JSON Lines of NewException) before its commit. */
export interface StagedExceptions {
  readonly key: string;
}

/**
 * What a committed attempt still has to do in the exceptions table: write its staged exceptions, and close as
 * superseded the open exceptions of the items it processed. Recorded in the commit transaction, removed once
 * done.
 */
export interface ExceptionPublish {
  readonly jobId: string;
  readonly scope: BatchScope;
  readonly start: number;
  readonly end: number;
  readonly runId: string;
  readonly token: number;
  /** When the commit was made: the occurrences' time, and the bound of what it supersedes. */
  readonly at: string;
  /** The staged exceptions' object, when there were more than the commit carried. */
  readonly key?: string;
  readonly supersede?: boolean;
}

/** Staged exceptions named by commits, until they are all written to the exceptions table. */
export interface PublishStore {
  /** Committed attempts whose exceptions work is not done yet. */
  pendingPublishes(jobId: string): Promise<ExceptionPublish[]>;
  /** Done: the record goes. */
  finishPublish(p: ExceptionPublish): Promise<void>;
}
