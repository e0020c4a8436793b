import type { Deps } from '../deps.ts';
import type { Attempt, Run } from '../model.ts';
import { allRuns, type HistoryEvent, type HistoryScope, inWindow, Nearest } from './history-sources.ts';

/**
 * Attempt events are read per run, from the byRun index, whose order is the batch's, not time: a run's attempts
 * are read whole, and only for runs whose span can still hold a kept event. A run's attempts lie within its span:
 * they start after it was planned and end before Finalize closes it (a run never finished has no end).
 */
interface Span {
  readonly run: Run;
  /** The first instant of the run's events, or (newest first) the last one; undefined: not finished. */
  readonly edge: string | undefined;
}

const spanOf = (s: HistoryScope, run: Run): Span => ({
  run,
  edge: s.newestFirst ? run.finishedAt : run.plannedAt,
});

/** Nearest to the window's near bound first: earliest planned (oldest first) or latest finished (newest first). */
const nearness =
  (newestFirst: boolean) =>
  (a: Span, b: Span): number =>
    (newestFirst ? -1 : 1) *
    ((a.edge ?? '').localeCompare(b.edge ?? '') || a.run.runId.localeCompare(b.run.runId));

/** The run's span overlaps the window. */
const overlaps = (s: HistoryScope, r: Run) =>
  (s.until === undefined || r.plannedAt <= s.until) &&
  (s.since === undefined || r.finishedAt === undefined || r.finishedAt >= s.since);

/** The run's span crosses the window's near bound: its events may be anywhere in the window. */
const spansNearBound = (s: HistoryScope, r: Run) =>
  s.newestFirst
    ? r.finishedAt === undefined || (s.until !== undefined && r.finishedAt > s.until)
    : s.since !== undefined && r.plannedAt < s.since;

/**
 * One pass over the run records: the runs that cross the near bound (first pass only), and the `keep` runs
 * nearest to it after `after`.
 */
async function selectRuns(deps: Deps, s: HistoryScope, keep: number, after: Span | undefined) {
  const order = nearness(s.newestFirst);
  const crossing: Run[] = [];
  const nearest = new Nearest<Span>(keep, order);
  for await (const r of allRuns(deps, s.job.jobId)) {
    if (!overlaps(s, r)) continue;
    if (spansNearBound(s, r)) {
      if (after === undefined) crossing.push(r);
      continue;
    }
    const span = spanOf(s, r);
    if (after === undefined || order(span, after) > 0) nearest.add(span);
  }
  return { crossing, nearest: nearest.sorted() };
}

function addAttempt(s: HistoryScope, a: Attempt): void {
  const base = { runId: a.runId, range: { start: a.start, end: a.end } };
  const sample = a.scope.kind === 'sample' ? { sample: true } : {};
  const { attempt, token, configHash } = a;
  if (s.wants('attempt-started') && inWindow(s, a.startedAt)) {
    s.kept.add({
      at: a.startedAt,
      kind: 'attempt-started',
      ...base,
      detail: { attempt, token, configHash, ...sample },
    });
  }
  if (s.wants('attempt-ended') && inWindow(s, a.endedAt)) {
    const { outcome, itemsSucceeded, itemsExcepted, durationMs } = a;
    const detail = { attempt, outcome, token, configHash, itemsSucceeded, itemsExcepted, durationMs };
    s.kept.add({
      at: a.endedAt,
      kind: 'attempt-ended',
      ...base,
      detail: { ...detail, errorName: a.error?.name, ...sample },
    });
  }
}

async function readRun(deps: Deps, s: HistoryScope, r: Run): Promise<void> {
  for await (const a of deps.attempts.runAttempts(s.job.jobId, r.runId)) addAttempt(s, a);
}

/** The earliest (or latest) event a run could hold, as a probe of what is kept. */
const probe = (s: HistoryScope, span: Span): HistoryEvent => ({
  at: span.edge ?? '',
  kind: s.newestFirst ? 'attempt-ended' : 'attempt-started',
  runId: span.run.runId,
  detail: {},
});

/**
 * Attempts started and ended. Runs are taken in passes of `limit + 1`, nearest first; a run whose span cannot
 * reach the kept events is not read, and the passes stop there. Usually one pass: every run adds events.
 */
export async function attemptEvents(deps: Deps, s: HistoryScope): Promise<void> {
  let after: Span | undefined;
  for (;;) {
    const { crossing, nearest } = await selectRuns(deps, s, s.pageSize, after);
    for (const r of crossing) await readRun(deps, s, r);
    for (const span of nearest) {
      if (!s.kept.accepts(probe(s, span))) return;
      await readRun(deps, s, span.run);
    }
    if (nearest.length < s.pageSize) return;
    after = nearest[nearest.length - 1];
  }
}
