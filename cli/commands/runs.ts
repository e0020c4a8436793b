import { BatchkeeperError } from '../../core/errors.ts';
import { RunId } from '../../core/events.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { Run } from '../../core/model.ts';
import { Name } from '../../core/validation.ts';
import { fields, formatDuration, table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { collect, shortHash } from './support.ts';

export class RunNotFoundError extends BatchkeeperError {
  constructor(ctx: { jobId: string; runId: string }) {
    super(`job ${ctx.jobId} has no run ${ctx.runId}`, ctx);
  }
}

const bounds = (r: Run) =>
  r.mode === 'sample'
    ? `every ${r.every}${r.limit ? `, at most ${r.limit}` : ''}`
    : r.idStart !== undefined
      ? `${r.idStart}..${r.idEnd}`
      : '';

export const runsList = defineCommand({
  words: ['runs', 'list'],
  usage: '<jobId>',
  summary: "list a job's runs, newest first",
  positionals: ['jobId'],
  flags: {},
  schema: targetArgs({ jobId: Name }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    const runs = (await collect((p) => deps.runs.listRuns(job.jobId, p))).sort((x, y) =>
      y.plannedAt.localeCompare(x.plannedAt),
    );
    const rows = runs.map((r) => [
      r.runId,
      r.mode,
      bounds(r),
      r.status,
      r.batchesPlanned,
      r.stats?.itemsSucceeded,
      r.stats?.itemsExcepted,
      formatDuration(r.stats?.wallMs),
      r.plannedAt,
    ]);
    const header = [
      'run',
      'mode',
      'bounds',
      'status',
      'batches',
      'items',
      'exceptions',
      'duration',
      'planned at',
    ];
    return { json: { jobId: job.jobId, runs }, text: table(header, rows) };
  },
});

export const runsShow = defineCommand({
  words: ['runs', 'show'],
  usage: '<jobId> <runId>',
  summary: 'show one run with its per-state timings',
  positionals: ['jobId', 'runId'],
  flags: {},
  schema: targetArgs({ jobId: Name, runId: RunId }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    const run = await deps.runs.getRun(job.jobId, a.runId);
    if (!run) throw new RunNotFoundError({ jobId: job.jobId, runId: a.runId });
    return { json: { run }, text: runText(run) };
  },
});

function runText(r: Run): string {
  const s = r.stats;
  const head = fields([
    ['run', r.runId],
    ['job', r.jobId],
    ['mode', r.mode],
    ['bounds', bounds(r) || undefined],
    ['status', r.status],
    ['config hash', shortHash(r.configHash)],
    ['planned at', r.plannedAt],
    ['finished at', r.finishedAt],
    [
      'batches',
      s
        ? `${r.batchesPlanned} planned, ${s.batchesSucceeded} succeeded, ${s.batchesFailed} failed, ${s.batchesNotDone} not done`
        : r.batchesPlanned,
    ],
    [
      'items',
      s
        ? `${s.itemsSucceeded} processed, ${s.itemsExcepted} exceptions (${r.itemsPlanned} planned)`
        : r.itemsPlanned,
    ],
    ['attempts', s?.attempts],
    ['duration', s ? formatDuration(s.wallMs) : undefined],
  ]);
  const states = Object.entries(s?.states ?? {});
  if (states.length === 0) return `${head}\nno per-state timings yet (the run has not been finalized)\n`;
  const rows = states.map(([name, t]) => [
    name,
    t.count,
    t.succeeded,
    t.failed,
    formatDuration(t.totalMs),
    formatDuration(t.minMs),
    formatDuration(t.p50Ms),
    formatDuration(t.maxMs),
  ]);
  return `${head}\n${table(['state', 'count', 'succeeded', 'failed', 'total', 'min', 'p50', 'max'], rows)}`;
}
