import { ExceptionNotFoundError } from '../../core/errors.ts';
import { listExceptions } from '../../core/exceptions/exceptions.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { ExceptionOccurrence, ItemException } from '../../core/model.ts';
import { Name } from '../../core/validation.ts';
import { fields, table } from '../output.ts';
import { type Command, defineCommand, targetArgs } from './args.ts';
import {
  checkRange,
  checkSample,
  ExceptionId,
  filterOf,
  LISTING_FLAGS,
  listingShape,
  namingFlags,
  reasonOf,
} from './exception-flags.ts';
import { exceptionsExport, exceptionsSummary } from './exceptions-export.ts';
import { exceptionsRequeue, exceptionsResolve } from './exceptions-review.ts';
import { IntFlag } from './flags.ts';
import { collect } from './support.ts';

export const exceptionsList = defineCommand({
  words: ['exceptions', 'list'],
  usage: '<jobId> [--status S] [--kind K ...] [--run R] [--from N] [--to M] [--sample RUN] [--limit N]',
  summary: 'list the items a job set aside for review (one exception per item), in item order',
  positionals: ['jobId'],
  flags: { ...LISTING_FLAGS, limit: { type: 'string', help: '--limit N  at most N exceptions' } },
  schema: targetArgs({ jobId: Name, ...listingShape, limit: IntFlag(1_000_000).optional() }).superRefine(
    checkRange,
  ),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    await checkSample(deps, job.jobId, a.sample);
    const filter = filterOf(a);
    const exceptions = await namingFlags('exceptions filter', () =>
      collect((p) => listExceptions(deps, job.jobId, filter, p), a.limit),
    );
    const rows = exceptions.map((x) => [
      x.exceptionId,
      x.itemId,
      x.batchStart,
      x.runId,
      x.kind,
      x.status,
      x.occurrences,
      reasonOf(x),
      x.note,
    ]);
    const header = ['exception', 'item', 'batch', 'run', 'kind', 'status', 'seen', 'reason', 'note'];
    const text = `${exceptions.length} exception(s)\n${rows.length > 0 ? table(header, rows) : ''}`;
    return { json: { jobId: job.jobId, exceptions }, text };
  },
});

const exceptionText = (x: ItemException) =>
  fields([
    ['exception', x.exceptionId],
    ['job', x.jobId],
    ['item', x.itemId],
    ['sample run', x.sampleRunId],
    ['status', x.status],
    ['kind', x.kind],
    ['details', x.details],
    ['run', x.runId],
    ['batch', x.batchStart],
    ['occurrences', x.occurrences],
    ['created', x.createdAt],
    ['last seen', x.lastSeenAt],
    ['note', x.note],
    ['reviewed', x.resolvedAt],
    ['requeues', x.requeues || undefined],
    ['requeued as', x.requeuedAs ? `${x.requeuedAs.datasetId} id ${x.requeuedAs.id}` : undefined],
    ['superseded by', x.supersededBy ? `run ${x.supersededBy.runId} at ${x.supersededBy.at}` : undefined],
  ]);

const occurrencesText = (list: readonly ExceptionOccurrence[]) =>
  `occurrences (${list.length}):\n${table(
    ['run', 'batch', 'token', 'kind', 'at'],
    list.map((o) => [o.runId, o.batchStart, o.token, o.kind, o.at]),
  )}`;

export const exceptionsShow = defineCommand({
  words: ['exceptions', 'show'],
  usage: '<jobId> <exceptionId>',
  summary: 'show one exception with its details and every occurrence (run, batch, token, kind, time)',
  positionals: ['jobId', 'exceptionId'],
  flags: {},
  schema: targetArgs({ jobId: Name, exceptionId: ExceptionId }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    const exception = await deps.exceptions.get(job.jobId, a.exceptionId);
    if (!exception) throw new ExceptionNotFoundError({ jobId: job.jobId, exceptionId: a.exceptionId });
    const occurrences = await deps.exceptions.occurrences(job.jobId, exception.exceptionId);
    return {
      json: { exception, occurrences },
      text: `${exceptionText(exception)}\n${occurrencesText(occurrences)}`,
    };
  },
});

/** The exceptions commands, in the order the help lists them. */
export const EXCEPTIONS_COMMANDS: readonly Command[] = [
  exceptionsList,
  exceptionsShow,
  exceptionsSummary,
  exceptionsResolve,
  exceptionsRequeue,
  exceptionsExport,
];
