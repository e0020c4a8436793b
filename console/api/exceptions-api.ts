import { z } from 'zod';
import { collect } from '../../cli/commands/support.ts';
import { RunId } from '../../core/events.ts';
import {
  type ExceptionFilter,
  listExceptions,
  type Selection,
  summarizeExceptions,
} from '../../core/exceptions/exceptions.ts';
import { requeueExceptions } from '../../core/exceptions/requeue.ts';
import { resolveExceptions } from '../../core/exceptions/review.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import { EXCEPTION_STATUSES } from '../../core/model.ts';
import { Id, parse, Text } from '../../core/validation.ts';
import { type ApiCall, queryOf, type Route } from './router.ts';

const IdParam = z.coerce.number({ error: 'must be an id' }).pipe(Id);

/** The listing's filter, from the query: `?kind=a&kind=b&run=R&from=N&to=M&status=OPEN&limit=500`. */
const ListQuery = z.strictObject({
  status: z.enum(EXCEPTION_STATUSES, { error: `must be one of ${EXCEPTION_STATUSES.join(', ')}` }).optional(),
  kind: z.array(Text(256)).optional(),
  run: RunId.optional(),
  from: IdParam.optional(),
  to: IdParam.optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1, { error: 'must be >= 1' })
    .max(5000, { error: 'must be <= 5000' })
    .optional(),
});

/** A review's body: the exceptions (named, filtered or all open ones) and, to resolve, the note. */
const ReviewBody = z.strictObject(
  {
    ids: z.array(z.string()).optional(),
    filter: z
      .strictObject({
        kinds: z.array(z.string()).optional(),
        runId: z.string().optional(),
        from: z.number().optional(),
        to: z.number().optional(),
      })
      .optional(),
    all: z.boolean().optional(),
    note: z.string().optional(),
  },
  { error: (i) => (i.code === 'invalid_type' ? 'must be a JSON object' : undefined) },
);

function selectionOf(call: ApiCall): { selection: Selection; note?: string } {
  const body = parse(ReviewBody, call.body, 'review');
  const filter = body.filter ? (compact(body.filter) as ExceptionFilter) : undefined;
  const selection = compact({ ids: body.ids, filter, all: body.all }) as Selection;
  return { selection, note: body.note };
}

const compact = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export const EXCEPTION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/jobs/:jobId/exceptions',
    async handle(call) {
      const q = queryOf(ListQuery, call.query, ['kind']);
      const { deps } = call.backend;
      const job = await getJob(deps, call.params.jobId);
      const filter = compact({ status: q.status, kinds: q.kind, runId: q.run, from: q.from, to: q.to });
      const limit = q.limit ?? 500;
      const exceptions = await collect((p) => listExceptions(deps, job.jobId, filter, p), limit + 1);
      const open = await summarizeExceptions(deps, job.jobId, { status: 'OPEN' });
      return {
        jobId: job.jobId,
        exceptions: exceptions.slice(0, limit),
        more: exceptions.length > limit,
        openByKind: open.byKind,
        counts: await deps.exceptions.counts(job.jobId),
      };
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/:jobId/exceptions/resolve',
    async handle(call) {
      const { selection, note } = selectionOf(call);
      const report = await resolveExceptions(call.backend.deps, call.params.jobId, selection, note);
      return { jobId: call.params.jobId, ...report };
    },
  },
  {
    method: 'POST',
    path: '/api/jobs/:jobId/exceptions/requeue',
    async handle(call) {
      const { selection } = selectionOf(call);
      const out = await requeueExceptions(call.backend.deps, call.params.jobId, selection);
      call.snapshots.forget(String(call.params.jobId));
      return { jobId: call.params.jobId, ...out };
    },
  },
];
