import { selectExceptions, summarizeExceptions } from '../../core/exceptions/exceptions.ts';
import { formatCount } from '../output.ts';
import { BACKFILL_END, cli, type DemoContext, DemoStepError, JOB } from './scenario.ts';

/**
 * Review the exceptions as an operator would. There is one exception per item: the backfill set the same items
 * aside again, which updated their exceptions in place (and closed as superseded those it processed), so nothing
 * is left to tidy by hand. The review is two bulk commands: resolve the most common kind with a note, then
 * requeue the rest for a later job.
 */
export async function reviewExceptions(ctx: DemoContext): Promise<void> {
  ctx.say.step('review the exceptions: summary, resolve one kind in bulk with a note, requeue the rest');
  const backfill = ctx.say.runs.find((r) => r.label === 'backfill')?.outcome.runId;
  if (!backfill) throw new DemoStepError('exceptions', 'the backfill must have run');
  await cli(ctx, ['exceptions', 'summary', JOB]);
  await checkOnePerItem(ctx, backfill);
  await cli(ctx, ['exceptions', 'list', JOB, '--status', 'open', '--limit', '4'], { lines: 6, more: false });

  const open = await summarizeExceptions(ctx.target.deps, JOB, { status: 'OPEN' });
  const [kind, count] = Object.entries(open.byKind).sort(([, m], [, n]) => n - m)[0] ?? [];
  if (kind === undefined || count === undefined)
    throw new DemoStepError('exceptions', 'the runs set no item aside');
  const note = `${kind}: reported to the registry's data steward, not to be retried`;
  await cli(ctx, ['exceptions', 'resolve', JOB, '--kind', kind, '--note', note], { lines: 2 });
  await cli(ctx, ['exceptions', 'requeue', JOB], { lines: 2 });

  const after = await summarizeExceptions(ctx.target.deps, JOB);
  const { OPEN, RESOLVED, REQUEUED, SUPERSEDED } = after.byStatus;
  if (OPEN !== 0 || RESOLVED !== count || REQUEUED !== open.total - count)
    throw new DemoStepError(
      'exceptions',
      `expected 0 open, ${count} resolved, ${open.total - count} requeued; found ${OPEN}, ${RESOLVED}, ${REQUEUED}`,
    );
  ctx.say.say(
    `exceptions now: ${formatCount(OPEN)} open, ${formatCount(RESOLVED)} resolved (${kind}), ${formatCount(REQUEUED)} requeued into ${JOB}.exceptions, ${formatCount(SUPERSEDED)} superseded`,
  );
}

/**
 * The first run and the backfill both examined ids 1..BACKFILL_END: an item set aside by both has one exception,
 * whose latest occurrence is the backfill's (an item the backfill processed is no longer open).
 */
async function checkOnePerItem(ctx: DemoContext, backfill: string): Promise<void> {
  let inRange = 0;
  let twice = 0;
  const filter = { status: 'OPEN', from: 1, to: BACKFILL_END } as const;
  for await (const x of selectExceptions(ctx.target.deps, JOB, filter)) {
    inRange++;
    if (x.occurrences > 1) twice++;
    if (x.runId !== backfill)
      throw new DemoStepError('exceptions', `exception ${x.exceptionId} is open at run ${x.runId}`);
  }
  ctx.say.say(
    `ids 1..${formatCount(BACKFILL_END)}: ${formatCount(inRange)} open exceptions, one per item, ${formatCount(twice)} of them set aside by both the first run and the backfill (one record, two occurrences)`,
  );
}
