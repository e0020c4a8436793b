import { sourceFor } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { DatasetDeletingError, DatasetNotFoundError } from '../errors.ts';
import type { Job, JobState } from '../model.ts';
import { GatedSource, type Producer, producersOf, staleBatches } from './dependencies.ts';

/** One job of the dependency graph, with what waits to be done. */
export interface GraphJob {
  readonly jobId: string;
  /** `MISSING`: a job that others depend on and that is gone (deleted with --force). */
  readonly state: JobState | 'MISSING';
  readonly datasetId: string | null;
  readonly watermark: number | null;
  /** Its producers (core/jobs/dependencies.ts), each once, with whether a commit of theirs triggers it. */
  readonly producers: readonly Producer[];
  /**
   * Ids past the watermark that a plan would take now: for a job with producers up to the READY frontier of
   * them all, for one without up to its data set's high id. Null when unknown (a job gone or being deleted, a
   * data set gone or being deleted).
   */
  readonly backlog: number | null;
  /** Ids of its data set past the backlog that wait on a producer (not READY yet); 0 without producers. */
  readonly waiting: number | null;
  /** Batches not yet SUCCEEDED (pending, running, failed), with those of cuts not yet created. */
  readonly openBatches: number | null;
  /** SUCCEEDED batches whose producers redid (part of) their range since they read it (`staleBatches`). */
  readonly staleBatches: number | null;
  /** Open batches reopened because their producers redid their range: the next incremental run takes them. */
  readonly reopenedBatches: number | null;
}

/** A dependency: `from` produces, `to` consumes; `trigger` when a commit of `from` starts a run of `to`. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly trigger: boolean;
}

export interface JobGraph {
  /** Producers before their consumers, then by job id. */
  readonly jobs: readonly GraphJob[];
  readonly edges: readonly GraphEdge[];
}

type GraphDeps = Pick<
  Deps,
  'jobs' | 'batches' | 'cuts' | 'catalog' | 'buckets' | 'clock' | 'liveness' | 'runs'
>;

/**
 * The dependency graph of every job: edges producer -> consumer, and per job its backlog, open and stale
 * batches. Reads only: each job's record, its source's high id and its producers' batches up to the READY
 * frontier, its open batches and pending cuts, and its SUCCEEDED batches against its producers'.
 * @example const { jobs, edges } = await jobGraph(deps);
 */
export async function jobGraph(deps: GraphDeps): Promise<JobGraph> {
  const all = await allJobs(deps);
  const byId = new Map(all.map((j) => [j.jobId, j]));
  const edges: GraphEdge[] = [];
  for (const job of all) {
    if (job.state !== 'ACTIVE') continue;
    for (const p of producersOf(job)) edges.push({ from: p.jobId, to: job.jobId, trigger: p.trigger });
  }
  const nodes: GraphJob[] = [];
  for (const job of all) nodes.push(await nodeOf(deps, job));
  for (const e of edges) {
    if (byId.has(e.from) || nodes.some((n) => n.jobId === e.from)) continue;
    nodes.push(missing(e.from));
  }
  return { jobs: topological(nodes, edges), edges: [...edges].sort(byEnds) };
}

async function allJobs(deps: Pick<Deps, 'jobs'>): Promise<Job[]> {
  const out: Job[] = [];
  for (let page = await deps.jobs.listJobs({ limit: 100 }); ; ) {
    out.push(...page.items);
    if (!page.next) return out;
    page = await deps.jobs.listJobs({ limit: 100, next: page.next });
  }
}

const missing = (jobId: string): GraphJob => ({
  jobId,
  state: 'MISSING',
  datasetId: null,
  watermark: null,
  producers: [],
  backlog: null,
  waiting: null,
  openBatches: null,
  staleBatches: null,
  reopenedBatches: null,
});

async function nodeOf(deps: GraphDeps, job: Job): Promise<GraphJob> {
  const producers = job.state === 'ACTIVE' ? producersOf(job) : [];
  const base = {
    ...missing(job.jobId),
    state: job.state,
    datasetId: job.datasetId,
    watermark: job.watermark,
  };
  if (job.state !== 'ACTIVE') return { ...base, producers };
  const open = await openOf(deps, job.jobId);
  let stale = 0;
  for await (const _ of staleBatches(deps, job)) stale++;
  return { ...base, producers, ...(await backlogOf(deps, job, producers)), ...open, staleBatches: stale };
}

/** READY ids past the watermark, and those that wait on producers; null when the data set cannot be read. */
async function backlogOf(
  deps: GraphDeps,
  job: Job,
  producers: readonly Producer[],
): Promise<{ backlog: number | null; waiting: number | null }> {
  let source: Awaited<ReturnType<typeof sourceFor>>;
  try {
    source = await sourceFor(deps, job.datasetId);
  } catch (e) {
    if (e instanceof DatasetNotFoundError || e instanceof DatasetDeletingError)
      return { backlog: null, waiting: null };
    throw e;
  }
  const past = (high: number) => Math.max(0, high - job.watermark + 1);
  const all = await source.highId();
  // Nothing past the watermark (a consumer caught up with its producer's outputs): no producer to ask.
  if (producers.length === 0 || all < job.watermark) return { backlog: past(all), waiting: 0 };
  const gate = new GatedSource(
    deps,
    source,
    producers.map((p) => p.jobId),
    job.watermark,
  );
  const ready = past(await gate.highId());
  return { backlog: ready, waiting: Math.max(0, past(all) - ready) };
}

async function openOf(deps: GraphDeps, jobId: string) {
  let openBatches = 0;
  let reopenedBatches = 0;
  for await (const b of deps.batches.openBatches(jobId)) {
    openBatches++;
    if (b.staleFrom !== undefined) reopenedBatches++;
  }
  for await (const c of deps.cuts.pendingCuts(jobId)) openBatches += c.batches.length;
  return { openBatches, reopenedBatches };
}

const byEnds = (x: GraphEdge, y: GraphEdge) =>
  x.from === y.from ? x.to.localeCompare(y.to) : x.from.localeCompare(y.from);

/** Producers first (Kahn's order), ties by job id; anything left in a cycle (which creation refuses) last. */
function topological(nodes: readonly GraphJob[], edges: readonly GraphEdge[]): GraphJob[] {
  const indegree = new Map(nodes.map((n) => [n.jobId, 0]));
  for (const e of edges) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const sorted = [...nodes].sort((x, y) => x.jobId.localeCompare(y.jobId));
  const out: GraphJob[] = [];
  const done = new Set<string>();
  for (let progress = true; progress; ) {
    progress = false;
    for (const n of sorted) {
      if (done.has(n.jobId) || (indegree.get(n.jobId) ?? 0) > 0) continue;
      out.push(n);
      done.add(n.jobId);
      progress = true;
      for (const e of edges) if (e.from === n.jobId) indegree.set(e.to, (indegree.get(e.to) ?? 0) - 1);
      break;
    }
  }
  return [...out, ...sorted.filter((n) => !done.has(n.jobId))];
}
