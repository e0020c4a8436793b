import type { Deps } from '../deps.ts';
import { JobNotFoundError } from '../errors.ts';
import type { FinalizeEvent, FinalizeOutput } from '../events.ts';
import type { Attempt, RunStats, StateStats } from '../model.ts';
import { runFinished } from '../ports/index.ts';
import { relayQuietly } from './relay-events.ts';

/**
 * Aggregate a run from its attempts (the byRun index): per batch its last outcome, items, and per-state timings
 * (ProcessBatch, and its load / process / write phases). Idempotent: it recomputes from the records.
 */
export async function finalizeRun(deps: Deps, event: FinalizeEvent): Promise<FinalizeOutput> {
  const run = await deps.runs.getRun(event.jobId, event.runId);
  if (!run) throw new JobNotFoundError({ jobId: event.jobId });
  const last = new Map<string, Attempt>();
  const all: Attempt[] = [];
  for await (const a of deps.attempts.runAttempts(event.jobId, event.runId)) {
    all.push(a);
    const key = `${a.scope.kind}#${a.start}`;
    const seen = last.get(key);
    if (seen?.outcome !== 'SUCCEEDED') last.set(key, a);
  }
  const finals = [...last.values()];
  const succeeded = finals.filter((a) => a.outcome === 'SUCCEEDED');
  const failed = finals.filter((a) => a.outcome !== 'SUCCEEDED').length;
  const stats: RunStats = {
    batchesSucceeded: succeeded.length,
    batchesFailed: failed,
    batchesNotDone: Math.max(0, run.batchesPlanned - succeeded.length - failed),
    itemsSucceeded: sum(succeeded, (a) => a.itemsSucceeded),
    itemsExcepted: sum(succeeded, (a) => a.itemsExcepted),
    attempts: all.length,
    wallMs: deps.clock.now() - Date.parse(run.plannedAt),
    states: stateStats(all),
  };
  const status = failed > 0 || event.mapError ? (succeeded.length > 0 ? 'PARTIAL' : 'FAILED') : 'SUCCEEDED';
  const finishedAt = new Date(deps.clock.now()).toISOString();
  const { batchesSucceeded, batchesFailed, batchesNotDone, itemsSucceeded, itemsExcepted } = stats;
  const counts = { batchesSucceeded, batchesFailed, batchesNotDone, itemsSucceeded, itemsExcepted };
  const told = runFinished({ ...run, status }, counts, finishedAt);
  await deps.runs.finishRun(event.jobId, event.runId, { status, finishedAt, stats }, told);
  await relayQuietly(deps, event.jobId);
  return {
    jobId: event.jobId,
    runId: event.runId,
    status,
    batchesSucceeded,
    batchesFailed,
    batchesNotDone,
    itemsSucceeded,
    itemsExcepted,
  };
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);

function stateStats(attempts: readonly Attempt[]): Record<string, StateStats> {
  const out: Record<string, StateStats> = {};
  if (attempts.length === 0) return out;
  out.ProcessBatch = summarise(
    attempts.map((a) => a.durationMs),
    attempts.filter((a) => a.outcome === 'SUCCEEDED').length,
  );
  for (const phase of ['loadMs', 'processMs', 'writeMs']) {
    const times = attempts
      .map((a) => (a.diagnostics?.timings as Record<string, number> | undefined)?.[phase])
      .filter((t): t is number => typeof t === 'number');
    if (times.length > 0) out[`ProcessBatch.${phase.replace('Ms', '')}`] = summarise(times, times.length);
  }
  return out;
}

function summarise(times: number[], succeeded: number): StateStats {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    count: sorted.length,
    succeeded,
    failed: sorted.length - succeeded,
    totalMs: sum(sorted, (t) => t),
    minMs: sorted[0] ?? 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
    p50Ms: sorted[Math.floor((sorted.length - 1) / 2)] ?? 0,
  };
}
