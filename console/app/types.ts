/** The shapes the API answers with, as far as the page reads them (the server's are in console/api/). */

export interface Job {
  jobId: string;
  datasetId: string;
  processor: { name: string; version: string };
  batching: { by: 'count'; size: number } | { by: 'weight'; target: number };
  configHash: string;
  watermark: number;
  firstId: number;
  state: string;
  lastRunId?: string;
  maxConcurrency: number;
}

export interface RunStats {
  batchesSucceeded: number;
  batchesFailed: number;
  batchesNotDone: number;
  itemsSucceeded: number;
  itemsExcepted: number;
  attempts: number;
  wallMs: number;
  states: Record<
    string,
    {
      count: number;
      succeeded: number;
      failed: number;
      totalMs: number;
      minMs: number;
      maxMs: number;
      p50Ms: number;
    }
  >;
}

export interface Run {
  jobId: string;
  runId: string;
  mode: string;
  idStart?: number;
  idEnd?: number;
  every?: number;
  limit?: number;
  status: string;
  executionStatus?: string;
  plannedAt: string;
  finishedAt?: string;
  batchesPlanned: number;
  itemsPlanned: number;
  stats?: RunStats;
}

export interface Overview {
  job: Job;
  batches: Record<'done' | 'failed' | 'leased' | 'pending' | 'stale', number>;
  backlog: number;
  highId: number;
  drifted: number;
  stale: number;
  redo: { start: number; end: number }[];
  redoRanges: number;
  exceptions: Record<'OPEN' | 'RESOLVED' | 'REQUEUED' | 'SUPERSEDED', number>;
  lastRun?: Run;
}

export interface Answer {
  ok: boolean;
  detail?: string;
}

export interface Attempt {
  start: number;
  end: number;
  attempt: number;
  runId: string;
  outcome: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  itemsSucceeded: number;
  itemsExcepted: number;
  error?: { name: string; message: string };
  preflight?: Record<string, Answer | null>;
}

export interface Batch {
  start: number;
  end: number;
  count: number;
  status: string;
  shownAs: string;
  attempt: number;
  configHash?: string;
  completedRunId?: string;
  attempts: Attempt[];
}

export interface MapDoc {
  from: number;
  to: number;
  buckets: number;
  width: number;
  batches: number;
  space: { from: number; to: number };
  classes: string[];
  counts: Record<string, number[]>;
  totals: Record<string, number>;
}

export interface Gap {
  start: number;
  end: number;
  ids: number;
  classes: string[];
}

export interface ItemException {
  exceptionId: string;
  itemId: number;
  batchStart: number;
  runId: string;
  kind: string;
  status: string;
  occurrences: number;
  details: Record<string, unknown>;
  note?: string;
}

/** A job of the dependency graph (core/jobs/graph.ts); figures are null where they cannot be known. */
export interface GraphJob {
  jobId: string;
  state: string;
  datasetId: string | null;
  watermark: number | null;
  producers: { jobId: string; trigger: boolean }[];
  backlog: number | null;
  waiting: number | null;
  openBatches: number | null;
  staleBatches: number | null;
  reopenedBatches: number | null;
}

export interface GraphDoc {
  jobs: GraphJob[];
  edges: { from: string; to: string; trigger: boolean }[];
  mermaid: string;
}
