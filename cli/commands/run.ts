import { z } from 'zod';
import { ValidationError } from '../../core/errors.ts';
import { RunId, RunInput } from '../../core/events.ts';
import { checkRun } from '../../core/runs/check-run.ts';
import { Name } from '../../core/validation.ts';
import { formatCount, formatDuration, progressReporter } from '../output.ts';
import type { Target } from '../target.ts';
import { defineCommand, targetArgs } from './args.ts';
import { IdFlag, IntFlag } from './flags.ts';
import { outcomeError, type RunOutcome, startRun, waitForRun } from './run-wait.ts';

interface RunFlags {
  jobId: string;
  from?: number;
  to?: number;
  'retry-failed'?: boolean;
  'sample-every'?: number;
  limit?: number;
  'max-batches'?: number;
  'max-concurrency'?: number;
}

/** The execution input the flags stand for: the mode follows from which flags are given. */
export function runInputOf(v: RunFlags): RunInput {
  const mode = v['retry-failed']
    ? 'retry-failed'
    : v['sample-every'] !== undefined
      ? 'sample'
      : v.from !== undefined || v.to !== undefined
        ? 'backfill'
        : 'incremental';
  const input = {
    jobId: v.jobId,
    mode,
    idStart: v.from,
    idEnd: v.to,
    every: v['sample-every'],
    limit: v.limit,
    maxBatches: v['max-batches'],
    maxConcurrency: v['max-concurrency'],
  };
  return Object.fromEntries(Object.entries(input).filter(([, x]) => x !== undefined)) as RunInput;
}

/** RunInput fields under the flags that set them, so that a rule of the core names the flag. */
const FLAG_OF: Record<string, string> = {
  idStart: 'from',
  idEnd: 'to',
  every: 'sample-every',
  limit: 'limit',
  maxBatches: 'max-batches',
  maxConcurrency: 'max-concurrency',
};

/** The job and the data set have their say before any execution starts; their rules name the flags. */
async function checkRunFlagsAgainst(target: Target, input: RunInput): Promise<void> {
  try {
    await checkRun(target.deps, input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const violations = error.violations.map((v) => ({
      field: `--${FLAG_OF[v.field] ?? v.field}`,
      rule: v.rule,
    }));
    throw new ValidationError(violations, { what: 'run', cause: error });
  }
}

function checkRunFlags(v: RunFlags, ctx: z.RefinementCtx): void {
  let issues = 0;
  const issue = (flag: string, message: string) => {
    issues++;
    ctx.addIssue({ code: 'custom', path: [flag], message });
  };
  const bounded = v.from !== undefined || v.to !== undefined;
  if (v['retry-failed'] && (bounded || v['sample-every'] !== undefined))
    issue('retry-failed', 'is not allowed with --from, --to or --sample-every');
  if (v.from !== undefined && v.to === undefined && v['sample-every'] === undefined)
    issue('to', 'is required with --from');
  if (v.to !== undefined && v.from === undefined && v['sample-every'] === undefined)
    issue('from', 'is required with --to');
  if (v.from !== undefined && v.to !== undefined && v.from > v.to) issue('from', 'must be <= --to');
  if (v.limit !== undefined && v['sample-every'] === undefined)
    issue('limit', 'is only allowed with --sample-every');
  if (issues > 0) return;
  // The core's own schema has the last word; its field names are mapped back to the flags.
  const parsed = RunInput.safeParse(runInputOf(v));
  if (parsed.success) return;
  for (const i of parsed.error.issues)
    issue(FLAG_OF[String(i.path[0])] ?? String(i.path[0] ?? 'jobId'), i.message);
}

export const run = defineCommand({
  words: ['run'],
  usage:
    '<jobId> [--from N --to M | --retry-failed | --sample-every N [--limit K]] [--max-batches N] [--max-concurrency N] [--name RUN_ID] [--wait]',
  summary: 'start a run of a job (a Step Functions execution); incremental unless a flag says otherwise',
  positionals: ['jobId'],
  flags: {
    from: { type: 'string', help: '--from N  backfill: first id to reprocess (with --to)' },
    to: { type: 'string', help: '--to M  backfill: last id to reprocess (inclusive)' },
    'retry-failed': {
      type: 'boolean',
      help: '--retry-failed  reprocess failed batches and those of dead workers only',
    },
    'sample-every': {
      type: 'string',
      help: '--sample-every N  a sample run of every n-th item, kept apart from the inventory',
    },
    limit: { type: 'string', help: '--limit K  sample: at most K items' },
    'max-batches': { type: 'string', help: '--max-batches N  plan at most N batches' },
    'max-concurrency': {
      type: 'string',
      help: "--max-concurrency N  override the job's concurrency for this run",
    },
    name: { type: 'string', help: '--name RUN_ID  the execution name (default: <mode>-<time>-<random>)' },
    wait: { type: 'boolean', help: '--wait  show progress on stderr until the run ends, then a summary' },
  },
  schema: targetArgs({
    jobId: Name,
    from: IdFlag.optional(),
    to: IdFlag.optional(),
    'retry-failed': z.boolean().optional(),
    'sample-every': IntFlag(1_000_000).optional(),
    limit: IntFlag(1_000_000).optional(),
    'max-batches': IntFlag(100_000).optional(),
    'max-concurrency': IntFlag(10_000).optional(),
    name: RunId.optional(),
    wait: z.boolean().optional(),
  })
    // Only over flags that parsed: a flag with a broken value is reported once, by its own rule.
    .superRefine(checkRunFlags, { when: (payload) => payload.issues.length === 0 })
    .transform((v) => ({ ...v, input: runInputOf(v) })),
  needsTarget: true,
  async run(a, ctx) {
    const target = await ctx.target();
    await checkRunFlagsAgainst(target, a.input);
    const started = await startRun(target, a.input, a.name);
    if (!a.wait) {
      const text = `started run ${started.runId} of job ${started.jobId} (${a.input.mode})\nexecution ${started.executionArn}\n`;
      return { json: started, text };
    }
    const progress = progressReporter(ctx.io, started.runId);
    const outcome = await waitForRun(target, started, { onProgress: (p) => progress.update(p) });
    progress.done();
    return { json: outcome, text: outcomeText(outcome), error: outcomeError(outcome) };
  },
});

export function outcomeText(o: RunOutcome): string {
  const b = o.batches;
  return (
    `run ${o.runId} (${o.input.mode}) ${o.status} in ${formatDuration(o.durationMs)}\n` +
    `  batches     ${formatCount(b.planned)} planned, ${formatCount(b.succeeded)} succeeded, ${formatCount(b.failed)} failed, ${formatCount(b.notDone)} not done\n` +
    `  items       ${formatCount(o.items.succeeded)} processed\n` +
    `  exceptions  ${formatCount(o.items.excepted)} set aside for review\n` +
    (b.failed > 0
      ? `  why         batchkeeper batches ${o.jobId} --status FAILED, then batchkeeper diagnose ${o.jobId} <batchStart>\n`
      : '')
  );
}
