import { z } from 'zod';
import { RunNotFoundError } from '../../cli/commands/runs.ts';
import { collect } from '../../cli/commands/support.ts';
import type { Deps } from '../../core/deps.ts';
import { RunId, RunInput } from '../../core/events.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { Job } from '../../core/model.ts';
import { previewRun } from '../../core/planning/preview-run.ts';
import { WORKER_SIZES } from '../../core/processors/define-processor.ts';
import { checkRun } from '../../core/runs/check-run.ts';
import { parse, parseField } from '../../core/validation.ts';
import { estimateCost } from '../estimate.ts';
import type { ApiCall, Route } from './router.ts';

/** Attempts a run's timeline shows at most: a Gantt of more rows is not read by anyone. */
const GANTT_MAX = 5_000;

/** The run input a form sends, with the job from the path: RunInput's rules name the fields. */
const runInputOf = (call: ApiCall) => {
  const body = parse(
    z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
    call.body,
    'body',
  );
  return parse(RunInput, { ...body, jobId: call.params.jobId }, 'run input');
};

/** ProcessBatch's memory for the job's processor; the smallest worker when the processor is not known here. */
function memoryOf(deps: Deps, job: Job): number {
  try {
    return deps.processors.get(job.processor.name).limits.memoryMb;
  } catch {
    return WORKER_SIZES.small.memoryMb;
  }
}

/** Milliseconds per item over the last run's attempts that processed items, if any. */
async function msPerItem(deps: Deps, job: Job): Promise<number | undefined> {
  if (!job.lastRunId) return undefined;
  let ms = 0;
  let items = 0;
  let seen = 0;
  for await (const a of deps.attempts.runAttempts(job.jobId, job.lastRunId)) {
    if (a.outcome !== 'SUCCEEDED' || a.itemsSucceeded + a.itemsExcepted === 0) continue;
    ms += a.durationMs;
    items += a.itemsSucceeded + a.itemsExcepted;
    if (++seen >= 200) break;
  }
  return items > 0 ? ms / items : undefined;
}

export const RUN_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/jobs/:jobId/runs',
    async handle({ backend, params }) {
      const job = await getJob(backend.deps, params.jobId);
      const listed = await collect((p) => backend.deps.runs.listRuns(job.jobId, p));
      listed.sort((x, y) => y.plannedAt.localeCompare(x.plannedAt));
      return { jobId: job.jobId, runs: await Promise.all(listed.map((r) => backend.executionEnd(r))) };
    },
  },
  {
    method: 'GET',
    path: '/api/jobs/:jobId/runs/:runId',
    async handle({ backend, params }) {
      const job = await getJob(backend.deps, params.jobId);
      const runId = parseField(RunId, params.runId, 'runId');
      const found = await backend.deps.runs.getRun(job.jobId, runId);
      if (!found) throw new RunNotFoundError({ jobId: job.jobId, runId });
      const run = await backend.executionEnd(found);
      const attempts = [];
      const last = new Map<string, string>();
      for await (const a of backend.deps.attempts.runAttempts(job.jobId, runId)) {
        // Progress as `run --wait` counts it: a batch whose last attempt succeeded, or failed for good.
        const key = `${a.scope.kind}#${a.start}`;
        if (last.get(key) !== 'SUCCEEDED') last.set(key, a.outcome);
        if (attempts.length >= GANTT_MAX) continue;
        const { diagnostics: _, ...kept } = a;
        attempts.push(kept);
      }
      attempts.sort((x, y) => x.startedAt.localeCompare(y.startedAt) || x.start - y.start);
      const outcomes = [...last.values()];
      const progress = {
        planned: run.batchesPlanned,
        succeeded: outcomes.filter((o) => o === 'SUCCEEDED').length,
        failed: outcomes.filter((o) => o === 'FAILED' || o === 'LEASE_EXPIRED').length,
      };
      return { run, progress, attempts, attemptsTruncated: attempts.length >= GANTT_MAX };
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/:jobId/preview',
    async handle(call) {
      const input = runInputOf(call);
      const { deps } = call.backend;
      await checkRun(deps, input);
      const preview = await previewRun(deps, input);
      const job = await getJob(deps, input.jobId);
      const cost = estimateCost({
        batches: preview.batches,
        items: preview.items,
        memoryMb: memoryOf(deps, job),
        msPerItem: await msPerItem(deps, job),
      });
      return { input, preview, cost };
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/:jobId/runs',
    async handle(call) {
      const input = runInputOf(call);
      await checkRun(call.backend.deps, input);
      const started = await call.backend.startRun(input);
      call.snapshots.forget(input.jobId);
      return { started };
    },
  },
];
