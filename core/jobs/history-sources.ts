import type { Deps } from '../deps.ts';
import type { Job, Run } from '../model.ts';
import type { ConfigVersion } from '../ports/index.ts';

/** What a job's history tells, in the order events of the same instant are listed. */
export const HISTORY_KINDS = [
  'job-created',
  'config-changed',
  'run-planned',
  'batch-split',
  'attempt-started',
  'attempt-ended',
  'run-finished',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** One status change of a job or of one of its batches. */
export interface HistoryEvent {
  readonly at: string;
  readonly kind: HistoryKind;
  readonly runId?: string;
  readonly range?: { readonly start: number; readonly end: number };
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One history call: its job, window, order and kinds, and the events kept so far. */
export interface HistoryScope {
  readonly job: Job;
  readonly since?: string;
  readonly until?: string;
  readonly newestFirst: boolean;
  /** Records per read of a time-ordered listing: the limit plus one. */
  readonly pageSize: number;
  wants(kind: HistoryKind): boolean;
  readonly kept: Nearest<HistoryEvent>;
}

/**
 * The `keep` first values in `compare` order among those added, holding at most twice as many: a source read in
 * that order stops once `accepts` says no.
 */
export class Nearest<T> {
  #values: T[] = [];
  #worst: T | undefined;

  constructor(
    private readonly keep: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  /** Whether a value could still be among the `keep` first: none kept so far comes after it. */
  accepts(value: T): boolean {
    return this.#worst === undefined || this.compare(value, this.#worst) <= 0;
  }

  add(value: T): void {
    if (!this.accepts(value)) return;
    this.#values.push(value);
    if (this.#values.length >= 2 * this.keep) this.#compact();
  }

  sorted(): T[] {
    this.#compact();
    return [...this.#values];
  }

  #compact(): void {
    this.#values.sort(this.compare);
    this.#values.length = Math.min(this.#values.length, this.keep);
    if (this.#values.length === this.keep) this.#worst = this.#values[this.keep - 1];
  }
}

export const inWindow = (s: HistoryScope, at: string | undefined): at is string =>
  at !== undefined && (s.since === undefined || at >= s.since) && (s.until === undefined || at <= s.until);

/** Add an event of a source read in the history's order; false once no later one can be kept. */
function offer(s: HistoryScope, e: HistoryEvent): boolean {
  if (!s.kept.accepts(e)) return false;
  if (s.wants(e.kind) && inWindow(s, e.at)) s.kept.add(e);
  return true;
}

/** The first config is the job's creation; every later one a change from the one before. */
function configEvent(job: Job, v: ConfigVersion, previousHash: string | undefined): HistoryEvent {
  if (previousHash === undefined && v.at === job.createdAt) {
    const detail = { configHash: v.configHash, processor: `${job.processor.name}@${v.processorVersion}` };
    return { at: v.at, kind: 'job-created', detail: { ...detail, datasetId: job.datasetId } };
  }
  const detail = {
    oldConfigHash: previousHash,
    newConfigHash: v.configHash,
    processorVersion: v.processorVersion,
  };
  return { at: v.at, kind: 'config-changed', detail };
}

/**
 * Creation and config changes, from the C# records (in time order). A change needs the config before it: oldest
 * first, the one record before `since` is read; newest first, the listing runs one record past `since`.
 */
export async function configEvents(deps: Deps, s: HistoryScope): Promise<void> {
  const { jobId } = s.job;
  const configs = (w: { since?: string; until?: string; newestFirst?: boolean }) =>
    deps.jobs.configHistory(jobId, { ...w, pageSize: s.pageSize });
  let previous: ConfigVersion | undefined;
  if (!s.newestFirst) {
    if (s.since !== undefined) {
      for await (const v of configs({ until: s.since, newestFirst: true })) {
        if (v.at < s.since) {
          previous = v;
          break;
        }
      }
    }
    for await (const v of configs({ since: s.since, until: s.until })) {
      if (!offer(s, configEvent(s.job, v, previous?.configHash))) return;
      previous = v;
    }
    return;
  }
  for await (const v of configs({ until: s.until, newestFirst: true })) {
    if (previous && !offer(s, configEvent(s.job, previous, v.configHash))) return;
    previous = v;
    if (s.since !== undefined && v.at < s.since) return;
  }
  if (previous) offer(s, configEvent(s.job, previous, undefined));
}

/** Splits of batches, from the H# records (in time order). */
export async function splitEvents(deps: Deps, s: HistoryScope): Promise<void> {
  const window = { since: s.since, until: s.until, newestFirst: s.newestFirst, pageSize: s.pageSize };
  for await (const split of deps.splits.listSplits(s.job.jobId, window)) {
    const parts = split.parts.map(([start, end]) => ({ start, end }));
    if (!offer(s, { at: split.at, kind: 'batch-split', range: split.from, detail: { parts } })) return;
  }
}

const runRange = (r: Run) =>
  r.idStart !== undefined && r.idEnd !== undefined ? { range: { start: r.idStart, end: r.idEnd } } : {};

function addRunEvents(s: HistoryScope, r: Run): void {
  const base = { runId: r.runId, ...runRange(r) };
  if (s.wants('run-planned') && inWindow(s, r.plannedAt)) {
    const { mode, batchesPlanned, itemsPlanned, configHash } = r;
    s.kept.add({
      at: r.plannedAt,
      kind: 'run-planned',
      ...base,
      detail: { mode, batchesPlanned, itemsPlanned, configHash },
    });
  }
  if (s.wants('run-finished') && inWindow(s, r.finishedAt)) {
    const { stats } = r;
    const counts = stats && {
      batchesSucceeded: stats.batchesSucceeded,
      batchesFailed: stats.batchesFailed,
      batchesNotDone: stats.batchesNotDone,
      itemsSucceeded: stats.itemsSucceeded,
      itemsExcepted: stats.itemsExcepted,
      attempts: stats.attempts,
    };
    s.kept.add({ at: r.finishedAt, kind: 'run-finished', ...base, detail: { status: r.status, ...counts } });
  }
}

/** Every run record of the job, page by page: R# keys are run ids, which are not in time order. */
export async function* allRuns(deps: Deps, jobId: string): AsyncGenerator<Run> {
  let next: string | undefined;
  do {
    const page = await deps.runs.listRuns(jobId, { limit: 100, next });
    yield* page.items;
    next = page.next;
  } while (next);
}

/** Runs planned and finished: every run record is read (see allRuns), the events kept by the window and limit. */
export async function runEvents(deps: Deps, s: HistoryScope): Promise<void> {
  for await (const r of allRuns(deps, s.job.jobId)) addRunEvents(s, r);
}
