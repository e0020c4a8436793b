import { z } from 'zod';
import type { Selection } from '../../core/exceptions/exceptions.ts';
import { requeueExceptions } from '../../core/exceptions/requeue.ts';
import { type ReviewReport, resolveException, resolveExceptions } from '../../core/exceptions/review.ts';
import { Name } from '../../core/validation.ts';
import { formatCount } from '../output.ts';
import { defineCommand, type FlagSpec, targetArgs } from './args.ts';
import {
  checkRange,
  ExceptionId,
  ExceptionIds,
  FILTER_FLAGS,
  type FilterFlags,
  filterOf,
  filterShape,
  hasFilter,
  kindsText,
  NoteText,
  namingFlags,
} from './exception-flags.ts';

/** Reviews take OPEN exceptions of the queue in one way: named, filtered, or all; none is a usage error. */
const SELECTORS = '<exceptionId> or --id, --kind, --run, --from, --to, or --all';
const reviewShape = { ...filterShape, id: ExceptionIds.optional(), all: z.boolean().optional() };
const REVIEW_FLAGS: Record<string, FlagSpec> = {
  id: { type: 'string', multiple: true, help: '--id X  this exception (repeatable)' },
  ...FILTER_FLAGS,
  all: { type: 'boolean', help: '--all  every open exception of the job' },
};
type ReviewFlags = FilterFlags & { exceptionId?: string; id?: string[]; all?: boolean };

/** One way of selecting at most; `required` makes none a usage error too. */
function checkSelection(v: ReviewFlags, ctx: z.RefinementCtx, verb: string, required: boolean): void {
  checkRange(v, ctx);
  const named = v.exceptionId !== undefined || v.id !== undefined;
  if (named && (hasFilter(v) || v.all)) {
    const flag = v.id !== undefined ? 'id' : 'exceptionId';
    ctx.addIssue({
      code: 'custom',
      path: [flag],
      message: 'is not allowed with --kind, --run, --from, --to or --all',
    });
  } else if (v.all && hasFilter(v)) {
    ctx.addIssue({
      code: 'custom',
      path: ['all'],
      message: 'is not allowed with --kind, --run, --from or --to',
    });
  } else if (required && !named && !v.all && !hasFilter(v)) {
    ctx.addIssue({ code: 'custom', path: [`exceptions to ${verb}`], message: `must be given: ${SELECTORS}` });
  }
}

function selectionOf(v: ReviewFlags): Selection {
  const ids = [...(v.exceptionId === undefined ? [] : [v.exceptionId]), ...(v.id ?? [])];
  if (ids.length > 0) return { ids };
  if (hasFilter(v)) return { filter: filterOf(v) };
  return { all: true };
}

/** Always shown: a concurrent review is not an error, but the operator sees what it took. */
const takenText = (r: ReviewReport) =>
  `; ${formatCount(r.alreadyReviewed)} already reviewed (by another review, or set aside again meanwhile)`;

export const exceptionsResolve = defineCommand({
  words: ['exceptions', 'resolve'],
  usage:
    '<jobId> [<exceptionId>] [--id X ...] [--kind K ...] [--run R] [--from N] [--to M] [--all] --note TEXT',
  summary: 'close open exceptions after review (one, several, or by filter), saying what was decided',
  positionals: ['jobId'],
  optionalPositionals: ['exceptionId'],
  flags: { ...REVIEW_FLAGS, note: { type: 'string', help: '--note TEXT  what was decided' } },
  schema: targetArgs({
    jobId: Name,
    exceptionId: ExceptionId.optional(),
    ...reviewShape,
    note: NoteText,
  }).superRefine((v, ctx) => checkSelection(v, ctx, 'resolve', true)),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const selection = selectionOf(a);
    const positional = a.exceptionId !== undefined;
    const single = selection.ids?.length === 1 ? (selection.ids[0] as string) : undefined;
    const out = await namingFlags(
      'review',
      async () =>
        single === undefined
          ? { report: await resolveExceptions(deps, a.jobId, selection, a.note), exception: undefined }
          : resolveException(deps, a.jobId, single, a.note),
      positional,
    );
    const { report, exception } = out;
    const kinds = report.reviewed > 0 ? ` (${kindsText(report.byKind)})` : '';
    const text = `resolved ${formatCount(report.reviewed)} exception(s)${kinds}${takenText(report)}\n`;
    return { json: { jobId: a.jobId, ...report, ...(exception ? { exception } : {}) }, text };
  },
});

export const exceptionsRequeue = defineCommand({
  words: ['exceptions', 'requeue'],
  usage: '<jobId> [--id X ...] [--kind K ...] [--run R] [--from N] [--to M] [--all]',
  summary:
    'feed open exceptions (all by default, or those named or filtered) back as items of the data set <jobId>.exceptions',
  positionals: ['jobId'],
  flags: REVIEW_FLAGS,
  schema: targetArgs({ jobId: Name, ...reviewShape }).superRefine((v, ctx) =>
    checkSelection(v, ctx, 'requeue', false),
  ),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const out = await namingFlags('requeue', () => requeueExceptions(deps, a.jobId, selectionOf(a)));
    const kinds = out.requeued > 0 ? ` (${kindsText(out.byKind)})` : '';
    const next =
      out.requeued > 0
        ? `process them with a job over that data set, e.g.: batchkeeper jobs create ${a.jobId}-requeued --dataset ${out.datasetId} --processor <P>\n`
        : '';
    const text = `requeued ${formatCount(out.requeued)} item(s) into data set ${out.datasetId}${kinds}${takenText(out)}\n${next}`;
    return { json: { jobId: a.jobId, ...out }, text };
  },
});
