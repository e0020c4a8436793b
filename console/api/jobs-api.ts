import { z } from 'zod';
import { QUESTIONS } from '../../cli/commands/batches.ts';
import { collect } from '../../cli/commands/support.ts';
import { effectiveHash } from '../../core/jobs/config-hash.ts';
import { getJob, listJobs } from '../../core/jobs/jobs.ts';
import { acceptedRanges, isStale } from '../../core/jobs/stale.ts';
import type { JobSummary } from '../../core/jobs/stats.ts';
import type { Attempt, Batch, Job } from '../../core/model.ts';
import { BATCH_STATUSES } from '../../core/model.ts';
import { Id } from '../../core/validation.ts';
import { bucketize, findGaps } from '../range-map.ts';
import type { ConsoleBackend } from './backend.ts';
import { type ApiCall, queryOf, type Route } from './router.ts';
import { classOf, type JobRanges } from './snapshot.ts';

const IdParam = z.coerce.number({ error: 'must be an id' }).pipe(Id);
const Count = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be >= 1' })
    .max(max, { error: `must be <= ${max}` });
const Fresh = z.enum(['0', '1'], { error: 'must be 0 or 1' }).optional();

/** One job as the jobs view lists it. */
async function overviewOf(call: ApiCall, job: Job) {
  const { deps } = call.backend;
  const ranges = await call.snapshots.get(job.jobId, call.query.get('fresh') === '1');
  const lastRun = job.lastRunId ? await deps.runs.getRun(job.jobId, job.lastRunId) : undefined;
  return {
    job,
    batches: statusCounts(ranges),
    backlog: ranges.backlog,
    highId: ranges.snapshot.highId,
    drifted: ranges.drifted,
    stale: ranges.stale,
    redo: ranges.redo.slice(0, 20),
    redoRanges: ranges.redo.length,
    exceptions: await deps.exceptions.counts(job.jobId),
    lastRun: lastRun ? await call.backend.executionEnd(lastRun) : undefined,
  };
}

function statusCounts(r: JobRanges): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of r.snapshot.classes) counts[c] = (counts[c] ?? 0) + 1;
  return {
    done: counts[0] ?? 0,
    failed: counts[1] ?? 0,
    leased: counts[2] ?? 0,
    pending: counts[3] ?? 0,
    stale: counts[4] ?? 0,
  };
}

/** The attempts of a batch (those of its range as it stands), with the five preflight answers of each. */
export async function attemptsOf(backend: ConsoleBackend, b: Batch) {
  const out: (Attempt & { preflight: Record<string, unknown> })[] = [];
  for await (const a of backend.deps.attempts.list(b.jobId, b.scope, b.start)) {
    if (a.end !== b.end) continue;
    const answers = (a.diagnostics?.preflight ?? {}) as Record<string, unknown>;
    out.push({ ...a, preflight: Object.fromEntries(QUESTIONS.map((q) => [q, answers[q] ?? null])) });
  }
  return out.sort((x, y) => x.attempt - y.attempt);
}

export const JOB_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/info',
    handle: async ({ backend }) => ({ kind: backend.kind, region: backend.region, questions: QUESTIONS }),
  },
  {
    method: 'GET',
    path: '/api/jobs',
    async handle(call) {
      queryOf(z.strictObject({ fresh: Fresh }), call.query);
      const jobs = await collect((p) => listJobs(call.backend.deps, p));
      return { jobs: await Promise.all(jobs.map((j) => overviewOf(call, j))) };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:jobId',
    async handle(call) {
      queryOf(z.strictObject({ fresh: Fresh }), call.query);
      const { deps } = call.backend;
      const job = await getJob(deps, call.params.jobId);
      const overview = await overviewOf(call, job);
      const { counts } = await call.snapshots.get(job.jobId);
      const summary: JobSummary = {
        job,
        ...counts,
        idsCovered: { first: job.firstId, watermark: job.watermark },
        drifted: overview.drifted,
        exceptions: overview.exceptions,
        lastRun: overview.lastRun,
      };
      return { summary, overview };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:jobId/map',
    async handle(call) {
      const q = queryOf(
        z.strictObject({
          from: IdParam.optional(),
          to: IdParam.optional(),
          buckets: Count(4096),
          fresh: Fresh,
        }),
        call.query,
      );
      const job = await getJob(call.backend.deps, call.params.jobId);
      const ranges = await call.snapshots.get(job.jobId, q.fresh === '1');
      const s = ranges.snapshot;
      return {
        jobId: job.jobId,
        space: { from: s.firstId, to: Math.max(s.highId, s.firstId) },
        batches: s.length,
        takenAt: new Date(s.takenAt).toISOString(),
        ...bucketize(s, { from: q.from, to: q.to }, q.buckets),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:jobId/gaps',
    async handle(call) {
      const q = queryOf(
        z.strictObject({ after: IdParam.optional(), limit: Count(1000).optional() }),
        call.query,
      );
      const job = await getJob(call.backend.deps, call.params.jobId);
      const { snapshot } = await call.snapshots.get(job.jobId);
      return { jobId: job.jobId, ...findGaps(snapshot, q.after ?? 0, q.limit ?? 50) };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:jobId/batches',
    async handle(call) {
      const q = queryOf(
        z.strictObject({
          from: IdParam.optional(),
          limit: Count(500).optional(),
          status: z.enum(BATCH_STATUSES, { error: `must be one of ${BATCH_STATUSES.join(', ')}` }).optional(),
        }),
        call.query,
      );
      const { deps } = call.backend;
      const job = await getJob(deps, call.params.jobId);
      const first = q.from === undefined ? undefined : await deps.batches.batchContaining(job.jobId, q.from);
      const limit = q.limit ?? 50;
      const now = deps.clock.now();
      const current = effectiveHash(deps, job);
      const accepted = await acceptedRanges(deps, job);
      const batches = [];
      let next: number | undefined;
      for await (const b of deps.batches.list(
        job.jobId,
        { kind: 'inventory' },
        first?.start ?? q.from ?? 0,
      )) {
        if (q.status !== undefined && b.status !== q.status) continue;
        if (batches.length === limit) {
          next = b.start;
          break;
        }
        batches.push({
          ...b,
          shownAs: classOf(b, current, isStale(b, accepted), now),
          attempts: await attemptsOf(call.backend, b),
        });
      }
      return { jobId: job.jobId, effectiveConfigHash: current, batches, next };
    },
  },
];
