import { z } from 'zod';
import { ExceptionNotFoundError } from '../../core/errors.ts';
import { listExceptions, requeueExceptions, resolveException } from '../../core/exceptions/exceptions.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { ItemException } from '../../core/model.ts';
import { Name, Text } from '../../core/validation.ts';
import { fields, table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { IntFlag, OneOf } from './flags.ts';
import { collect } from './support.ts';

const ExceptionId = Text(200);
const NoteText = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .pipe(Text(2000));

/** What an exception is about, in a few words: the processor's reason, or the kind. */
const reasonOf = (x: ItemException) => (typeof x.details.reason === 'string' ? x.details.reason : x.kind);

export const exceptionsList = defineCommand({
  words: ['exceptions', 'list'],
  usage: '<jobId> [--status OPEN|RESOLVED|REQUEUED] [--limit N]',
  summary: 'list the items a job set aside for review, in item order',
  positionals: ['jobId'],
  flags: {
    status: { type: 'string', help: '--status S  only exceptions in this status' },
    limit: { type: 'string', help: '--limit N  at most N exceptions' },
  },
  schema: targetArgs({
    jobId: Name,
    status: OneOf(['OPEN', 'RESOLVED', 'REQUEUED'] as const).optional(),
    limit: IntFlag(1_000_000).optional(),
  }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const exceptions = await collect((p) => listExceptions(deps, a.jobId, a.status, p), a.limit);
    const rows = exceptions.map((x) => [
      x.exceptionId,
      x.itemId,
      x.batchStart,
      x.kind,
      x.status,
      reasonOf(x),
      x.note,
    ]);
    const text = `${exceptions.length} exception(s)\n${rows.length > 0 ? table(['exception', 'item', 'batch', 'kind', 'status', 'reason', 'note'], rows) : ''}`;
    return { json: { jobId: a.jobId, exceptions }, text };
  },
});

const exceptionText = (x: ItemException) =>
  fields([
    ['exception', x.exceptionId],
    ['job', x.jobId],
    ['item', x.itemId],
    ['batch', x.batchStart],
    ['run', x.runId],
    ['kind', x.kind],
    ['status', x.status],
    ['details', x.details],
    ['created', x.createdAt],
    ['note', x.note],
    ['resolved', x.resolvedAt],
    ['requeued as', x.requeuedAs ? `${x.requeuedAs.datasetId} id ${x.requeuedAs.id}` : undefined],
  ]);

export const exceptionsShow = defineCommand({
  words: ['exceptions', 'show'],
  usage: '<jobId> <exceptionId>',
  summary: 'show one exception with its details',
  positionals: ['jobId', 'exceptionId'],
  flags: {},
  schema: targetArgs({ jobId: Name, exceptionId: ExceptionId }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    const exception = await deps.exceptions.get(job.jobId, a.exceptionId);
    if (!exception) throw new ExceptionNotFoundError({ jobId: job.jobId, exceptionId: a.exceptionId });
    return { json: { exception }, text: exceptionText(exception) };
  },
});

export const exceptionsResolve = defineCommand({
  words: ['exceptions', 'resolve'],
  usage: '<jobId> <exceptionId> --note TEXT',
  summary: 'close an exception after review, saying what was decided',
  positionals: ['jobId', 'exceptionId'],
  flags: { note: { type: 'string', help: '--note TEXT  what was decided' } },
  schema: targetArgs({ jobId: Name, exceptionId: ExceptionId, note: NoteText }),
  needsTarget: true,
  async run(a, ctx) {
    const exception = await resolveException((await ctx.target()).deps, a.jobId, a.exceptionId, a.note);
    return { json: { exception }, text: `resolved ${exception.exceptionId}\n${exceptionText(exception)}` };
  },
});

export const exceptionsRequeue = defineCommand({
  words: ['exceptions', 'requeue'],
  usage: '<jobId> [--id EXCEPTION_ID ...]',
  summary: 'feed open exceptions (all, or those named) back as items of the data set <jobId>.exceptions',
  positionals: ['jobId'],
  flags: { id: { type: 'string', multiple: true, help: '--id X  only this exception (repeatable)' } },
  schema: targetArgs({ jobId: Name, id: z.array(ExceptionId).optional() }),
  needsTarget: true,
  async run(a, ctx) {
    const out = await requeueExceptions((await ctx.target()).deps, a.jobId, a.id);
    const taken = out.alreadyReviewed
      ? `; ${out.alreadyReviewed} were reviewed meanwhile by another call`
      : '';
    const text =
      `requeued ${out.requeued} item(s) (${out.exceptions} open exception(s)) as items of data set ${out.datasetId}${taken}\n` +
      `process them with a job over that data set, e.g.: batchkeeper jobs create ${a.jobId}-requeued --dataset ${out.datasetId} --processor <P>\n`;
    return { json: { jobId: a.jobId, ...out }, text };
  },
});
