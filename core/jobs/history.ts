import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { parse } from '../validation.ts';
import { attemptEvents } from './history-attempts.ts';
import {
  configEvents,
  HISTORY_KINDS,
  type HistoryEvent,
  type HistoryKind,
  type HistoryScope,
  Nearest,
  runEvents,
  splitEvents,
} from './history-sources.ts';
import { getJob } from './jobs.ts';

export { HISTORY_KINDS, type HistoryEvent, type HistoryKind };

/** The most events one history call returns, and the default. */
export const HISTORY_LIMIT = { max: 1000, default: 100 } as const;

/** One status change of a job or of one of its batches. */
export interface JobHistory {
  readonly jobId: string;
  readonly order: 'oldest-first' | 'newest-first';
  readonly events: HistoryEvent[];
  /** More events match than `limit`: ask again from the last instant shown. */
  readonly truncated: boolean;
}

const ISO_SHAPE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 instant (a date alone is its midnight UTC), normalized to `Date#toISOString`'s form. */
export const IsoTime = z
  .string()
  .refine((s) => ISO_SHAPE.test(s) && Number.isFinite(Date.parse(s)), {
    error: 'must be an ISO 8601 time such as 2026-01-01T00:00:00Z',
  })
  .transform((s) => new Date(s).toISOString());

export const HistoryKindSchema = z.enum(HISTORY_KINDS, {
  error: `must be one of ${HISTORY_KINDS.join(', ')}`,
});

export const HistoryQuery = z
  .strictObject({
    since: IsoTime.optional(),
    until: IsoTime.optional(),
    limit: z
      .number()
      .int({ error: 'must be an integer' })
      .min(1, { error: 'must be >= 1' })
      .max(HISTORY_LIMIT.max, { error: `must be <= ${HISTORY_LIMIT.max}` })
      .default(HISTORY_LIMIT.default),
    kinds: z.array(HistoryKindSchema).min(1, { error: 'must name at least one kind' }).optional(),
    newestFirst: z.boolean().default(false),
  })
  .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, {
    error: 'must be <= until',
    path: ['since'],
  });
export type HistoryQueryInput = z.input<typeof HistoryQuery>;

/**
 * A job's history: its creation and config changes, its runs (planned, finished with counts), every attempt of
 * its batches (started, ended with outcome, token, config hash, error name) and the splits of its batches, in
 * time order (oldest first, or newest first with `newestFirst`), at most `limit` events within `since`..`until`
 * (both inclusive).
 *
 * Reads are bounded by the window and the limit, never by the job's size. Config changes (C#) and splits (H#)
 * are keyed by instant: they are read as key ranges in the asked order and stop at the limit. Runs (R#) are
 * keyed by run id, which is not in time order (ids are execution names): every run record of the job is read,
 * page by page, keeping only the nearest ones. Attempts (A#) are keyed by batch, not time; they are read per run
 * (the byRun index, in batch order), only for the runs whose span [plannedAt, finishedAt] can still hold one of
 * the `limit` nearest events: the runs that span the window's near bound (a run never finished spans every later
 * instant) and the `limit` runs nearest it. So `limit: 50` on a job of a million attempts reads its run records
 * and the attempts of about 50 runs. A batch being processed has no attempt record until the attempt ends.
 * Memory holds at most twice the limit, plus one page.
 * @throws JobNotFoundError for an unknown job; ValidationError for a bad query.
 * @example
 * const { events } = await jobHistory(deps, 'addresses', { since: '2026-01-01T00:00:00Z', limit: 50 });
 */
export async function jobHistory(
  deps: Deps,
  jobId: string,
  raw: HistoryQueryInput = {},
): Promise<JobHistory> {
  const job = await getJob(deps, jobId);
  const q = parse(HistoryQuery, raw, 'history query');
  const scope: HistoryScope = {
    job,
    since: q.since,
    until: q.until,
    newestFirst: q.newestFirst,
    pageSize: q.limit + 1,
    wants: (k) => q.kinds === undefined || q.kinds.includes(k),
    kept: new Nearest<HistoryEvent>(q.limit + 1, compareEvents(q.newestFirst)),
  };
  if (scope.wants('job-created') || scope.wants('config-changed')) await configEvents(deps, scope);
  if (scope.wants('batch-split')) await splitEvents(deps, scope);
  if (scope.wants('run-planned') || scope.wants('run-finished')) await runEvents(deps, scope);
  if (scope.wants('attempt-started') || scope.wants('attempt-ended')) await attemptEvents(deps, scope);
  const events = scope.kept.sorted();
  return {
    jobId: job.jobId,
    order: q.newestFirst ? 'newest-first' : 'oldest-first',
    events: events.slice(0, q.limit),
    truncated: events.length > q.limit,
  };
}

const rank = (k: HistoryKind) => HISTORY_KINDS.indexOf(k);

/** Time, then kind (a run is planned before its batches run), then run and range: one total order. */
function compareEvents(newestFirst: boolean): (a: HistoryEvent, b: HistoryEvent) => number {
  const sign = newestFirst ? -1 : 1;
  return (a, b) =>
    sign *
    (a.at.localeCompare(b.at) ||
      rank(a.kind) - rank(b.kind) ||
      (a.runId ?? '').localeCompare(b.runId ?? '') ||
      (a.range?.start ?? 0) - (b.range?.start ?? 0));
}
