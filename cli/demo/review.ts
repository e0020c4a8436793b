import { resolveException } from '../../core/exceptions/exceptions.ts';
import type { ItemException } from '../../core/model.ts';
import { formatCount } from '../output.ts';
import { BACKFILL_END, cli, type DemoContext, DemoStepError, JOB } from './scenario.ts';

/** Shown one by one as commands; the rest are resolved the same way without a line each. */
const SHOWN = 2;

/**
 * Review the exceptions as an operator would: the first run's exceptions inside the backfilled range were
 * examined again by the backfill (which recorded its own), so they are resolved as superseded, with a note;
 * the rest are requeued for a later job.
 */
export async function reviewExceptions(ctx: DemoContext): Promise<void> {
  ctx.say.step('review the exceptions: list them, resolve the superseded ones with a note, requeue the rest');
  await cli(ctx, ['exceptions', 'list', JOB, '--status', 'OPEN', '--limit', '6']);
  const first = ctx.say.runs[0]?.outcome.runId;
  const backfill = ctx.say.runs.find((r) => r.label === 'backfill')?.outcome.runId;
  if (!first || !backfill)
    throw new DemoStepError('exceptions', 'the first run and the backfill must have run');
  const superseded = await openOf(ctx, (x) => x.runId === first && x.itemId <= BACKFILL_END);
  ctx.say.say(
    `${formatCount(superseded.length)} exceptions of the first run lie in ids 1..${formatCount(BACKFILL_END)}, which the backfill examined again`,
  );
  const note = `superseded by the backfill ${backfill}`;
  for (const x of superseded.slice(0, SHOWN)) {
    await cli(ctx, ['exceptions', 'resolve', JOB, x.exceptionId, '--note', note], { lines: 1, more: false });
  }
  // The same core call the command makes, without printing a command line per exception.
  for (const x of superseded.slice(SHOWN)) await resolveException(ctx.target.deps, JOB, x.exceptionId, note);
  ctx.say.say(`... and ${formatCount(Math.max(0, superseded.length - SHOWN))} more the same way`);
  await cli(ctx, ['exceptions', 'requeue', JOB], { lines: 1, more: false });
  const counts = await ctx.target.deps.exceptions.counts(JOB);
  ctx.say.say(
    `exceptions now: ${formatCount(counts.OPEN)} open, ${formatCount(counts.RESOLVED)} resolved, ${formatCount(counts.REQUEUED)} requeued`,
  );
}

async function openOf(ctx: DemoContext, keep: (x: ItemException) => boolean): Promise<ItemException[]> {
  const out: ItemException[] = [];
  let next: string | undefined;
  do {
    const page = await ctx.target.deps.exceptions.list(JOB, 'OPEN', { limit: 1000, next });
    out.push(...page.items.filter(keep));
    next = page.next;
  } while (next);
  return out;
}
