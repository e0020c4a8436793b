import { sourceFor } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { dependentsOf, GatedSource, producersOf, staleBatches } from '../jobs/dependencies.ts';
import type { Job } from '../model.ts';
import type { JobEvent, RunStarter } from '../ports/index.ts';
import { liveRuns } from './live-runs.ts';

/**
 * Triggers: a dependency with `trigger: true` starts the consumer's incremental run when its producer commits
 * (core/jobs/dependencies.ts). Debounced: a run starts under a name that holds for TRIGGER_WINDOW_MS, so a burst
 * of commits starts one run per window, and never while the job has a live run; a run's end looks at the job
 * again, so what became READY during a run is taken by the next one. Event delivery is best effort (at least
 * once, or not at all when the bus is down): a periodic reconcile looks at every triggered job, and starts a run
 * where there is work.
 */

/** The window of one triggered start per job. @default 60 s */
export const TRIGGER_WINDOW_MS = 60_000;

export interface TriggerOutcome {
  readonly jobId: string;
  readonly outcome: 'started' | 'exists' | 'running' | 'nothing to do';
  /** The run started (the execution's name) when one was. */
  readonly runId?: string;
}

type TriggerDeps = Deps & { readonly starter: RunStarter };

/**
 * Start the runs that events call for: the triggered consumers of each job whose batch committed or whose run
 * finished, and a triggered job whose own run finished (work may have come READY while it ran).
 */
export async function triggerOnEvents(
  deps: TriggerDeps,
  events: readonly JobEvent[],
): Promise<TriggerOutcome[]> {
  const wanted = new Map<string, { job: Job; ranges: [number, number][]; ownEnd: boolean }>();
  const want = (job: Job) => {
    const seen = wanted.get(job.jobId) ?? { job, ranges: [], ownEnd: false };
    wanted.set(job.jobId, seen);
    return seen;
  };
  const producers = new Set(events.map((e) => e.jobId));
  const dependents = new Map<string, Awaited<ReturnType<typeof dependentsOf>>>();
  for (const p of producers) dependents.set(p, await dependentsOf(deps, p));
  for (const e of events) {
    for (const { job, dependency } of dependents.get(e.jobId) ?? []) {
      if (!dependency.trigger) continue;
      const entry = want(job);
      if (e.type === 'BatchCommitted' && e.detail.scope === 'inventory')
        entry.ranges.push([e.detail.start as number, e.detail.end as number]);
    }
    if (e.type === 'RunFinished') {
      const own = await deps.jobs.getJob(e.jobId);
      if (own && producersOf(own).some((p) => p.trigger)) want(own).ownEnd = true;
    }
  }
  const out: TriggerOutcome[] = [];
  for (const { job, ranges, ownEnd } of wanted.values()) {
    out.push(await triggerJob(deps, job, (j) => workAfterEvents(deps, j, ranges, ownEnd)));
  }
  return out;
}

/** Look at every job with a triggered dependency, and start a run where there is work and none is live. */
export async function reconcileTriggers(deps: TriggerDeps): Promise<TriggerOutcome[]> {
  const out: TriggerOutcome[] = [];
  for (let page = await deps.jobs.listJobs({ limit: 100 }); ; ) {
    for (const job of page.items) {
      if (job.state !== 'ACTIVE' || !producersOf(job).some((p) => p.trigger)) continue;
      out.push(await triggerJob(deps, job, (j) => workOnReconcile(deps, j)));
    }
    if (!page.next) return out;
    page = await deps.jobs.listJobs({ limit: 100, next: page.next });
  }
}

/** The run a trigger starts in the window of `now`: its name is the run id. */
export function triggeredRunId(jobId: string, now: number): string {
  const window = Math.floor(now / TRIGGER_WINDOW_MS);
  // Run ids are 1-80 characters of A-Z a-z 0-9 _ -: a job id's dots become underscores, a long one is cut.
  return `trig-${jobId.replace(/\./g, '_').slice(0, 60)}-${window}`;
}

async function triggerJob(
  deps: TriggerDeps,
  job: Job,
  hasWork: (job: Job) => Promise<boolean>,
): Promise<TriggerOutcome> {
  const now = deps.clock.now();
  if (await hasLiveRun(deps, job)) return { jobId: job.jobId, outcome: 'running' };
  if (!(await hasWork(job))) return { jobId: job.jobId, outcome: 'nothing to do' };
  // Triggers racing (two events at once) meet on the name: one starts it, the other finds it running. A name
  // whose run is over already (work came READY during it) is followed by the next of the window.
  const base = triggeredRunId(job.jobId, now);
  for (let k = 0; k < STARTS_PER_WINDOW; k++) {
    const runId = k === 0 ? base : `${base}-${k}`;
    const outcome = await deps.starter.start(runId, { jobId: job.jobId, mode: 'incremental' });
    if (outcome === 'started') return { jobId: job.jobId, outcome, runId };
    if (!deps.liveness || (await deps.liveness.isActive(job.jobId, runId)))
      return { jobId: job.jobId, outcome: 'exists', runId };
  }
  return { jobId: job.jobId, outcome: 'exists', runId: base };
}

/** Triggered runs of one job in one window at most: a cap on a job whose runs end at once and start again. */
const STARTS_PER_WINDOW = 10;

/**
 * A live run of the job: a planned run whose execution still runs. One started and not yet planned is found by
 * its name when the trigger tries to start the same.
 */
async function hasLiveRun(deps: TriggerDeps, job: Job): Promise<boolean> {
  const live = liveRuns(deps);
  const recent = await deps.runs.listRuns(job.jobId, { limit: 10 });
  for (const run of recent.items)
    if (run.status === 'PLANNED' && (await live(job.jobId, run.runId))) return true;
  return false;
}

/** New READY ids past the watermark; open batches whose producers are READY (not FAILED ones, after a run's own end). */
async function readyWork(deps: Deps, job: Job, failedToo: boolean): Promise<boolean> {
  const producers = producersOf(job).map((p) => p.jobId);
  const gate = new GatedSource(deps, await sourceFor(deps, job.datasetId), producers, job.watermark);
  if ((await gate.highId()) >= job.watermark) return true;
  for await (const b of deps.batches.openBatches(job.jobId, { now: deps.clock.now(), leased: () => {} })) {
    if (!failedToo && b.status === 'FAILED') continue;
    if (await gate.isReadyRange(b.start, b.end)) return true;
  }
  return false;
}

/**
 * After events: what became READY, or a committed range under the job's batches (they are likely stale now).
 * After the job's own run: what became READY meanwhile, never its FAILED batches again (a batch that keeps
 * failing would otherwise start run after run).
 */
async function workAfterEvents(
  deps: Deps,
  job: Job,
  ranges: readonly [number, number][],
  ownEnd: boolean,
): Promise<boolean> {
  if (ranges.some(([start]) => start < job.watermark)) return true;
  return readyWork(deps, job, !ownEnd || ranges.length > 0);
}

async function workOnReconcile(deps: Deps, job: Job): Promise<boolean> {
  if (await readyWork(deps, job, true)) return true;
  for await (const _ of staleBatches(deps, job)) return true;
  return false;
}
