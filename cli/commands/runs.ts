import { SfnRunLiveness } from '../../core/adapters/sfn-run-liveness.ts';
import { BatchkeeperError } from '../../core/errors.ts';
import { RunId } from '../../core/events.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { Run } from '../../core/model.ts';
import { Name } from '../../core/validation.ts';
import { fields, formatDuration, table } from '../output.ts';
import type { Target } from '../target.ts';
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
    const target = await ctx.target();
    const { deps } = target;
    const job = await getJob(deps, a.jobId);
    const listed = (await collect((p) => deps.runs.listRuns(job.jobId, p))).sort((x, y) =>
      y.plannedAt.localeCompare(x.plannedAt),
    );
    const runs = await Promise.all(listed.map((r) => withExecutionEnd(target, r)));
    const rows = runs.map((r) => [
      r.runId,
      r.mode,
      bounds(r),
      statusOf(r),
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
    const target = await ctx.target();
    const job = await getJob(target.deps, a.jobId);
    const found = await target.deps.runs.getRun(job.jobId, a.runId);
    if (!found) throw new RunNotFoundError({ jobId: job.jobId, runId: a.runId });
    const run = await withExecutionEnd(target, found);
    return { json: { run }, text: runText(run) };
  },
});

/** A run as listed: its record, and for one still PLANNED, how its execution ended if it did. */
export type ListedRun = Run & { readonly executionStatus?: string };

/** Execution statuses that end a run without Finalize: the record stays PLANNED, the execution says why. */
const ENDED_WITHOUT_FINALIZE = ['ABORTED', 'FAILED', 'TIMED_OUT'];

/**
 * A run whose record is PLANNED may have an execution that ended without reaching Finalize (stopped, killed,
 * timed out): its execution (named after the run) is asked, and its end shown beside the record, so that no run
 * reads as planned forever. Nothing is written. An execution that cannot be found leaves the run as recorded.
 */
export async function withExecutionEnd(
  target: Pick<Target, 'clients' | 'stateMachineArn'>,
  run: Run,
): Promise<ListedRun> {
  if (run.status !== 'PLANNED') return run;
  const executions = new SfnRunLiveness({ sfn: target.clients.sfn, stateMachineArn: target.stateMachineArn });
  const status = await executions.executionStatus(run.runId);
  return status && ENDED_WITHOUT_FINALIZE.includes(status) ? { ...run, executionStatus: status } : run;
}

/** PLANNED, or the execution's end when it ended without Finalize: `PLANNED (execution ABORTED)`. */
const statusOf = (r: ListedRun) =>
  r.executionStatus ? `${r.status} (execution ${r.executionStatus})` : r.status;

function runText(r: ListedRun): string {
  const s = r.stats;
  const head = fields([
    ['run', r.runId],
    ['job', r.jobId],
    ['mode', r.mode],
    ['bounds', bounds(r) || undefined],
    ['status', statusOf(r)],
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
