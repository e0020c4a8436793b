import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { ExceptionNotFoundError, ValidationError } from '../errors.ts';
import { RunId } from '../events.ts';
import { getJob } from '../jobs/jobs.ts';
import { EXCEPTION_STATUSES, type ExceptionStatus, type ItemException } from '../model.ts';
import type { Page, PageRequest } from '../ports/index.ts';
import { Id, parse, parseField, Text } from '../validation.ts';

/**
 * Which exceptions a listing, an export or a bulk review takes. Every field narrows; none is every exception
 * of the job's queue. `sampleRunId` reads a sample run's exceptions instead, which are listed, never reviewed.
 */
export interface ExceptionFilter {
  readonly status?: ExceptionStatus;
  readonly kinds?: readonly string[];
  readonly runId?: string;
  readonly from?: number;
  readonly to?: number;
  readonly sampleRunId?: string;
}

const FilterInput = z
  .strictObject({
    status: z
      .enum(EXCEPTION_STATUSES, { error: `must be one of ${EXCEPTION_STATUSES.join(', ')}` })
      .optional(),
    kinds: z.array(Text(256)).min(1, { error: 'must name at least one kind' }).optional(),
    runId: RunId.optional(),
    from: Id.optional(),
    to: Id.optional(),
    sampleRunId: RunId.optional(),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    error: 'must be >= from',
    path: ['to'],
  });

const filterOf = (raw: unknown): ExceptionFilter => parse(FilterInput, raw ?? {}, 'exception filter');

const matches = (f: ExceptionFilter, x: ItemException) =>
  (f.kinds === undefined || f.kinds.includes(x.kind)) && (f.runId === undefined || f.runId === x.runId);

/**
 * One page of a job's exceptions in item order, narrowed by the filter. Kind and run narrow within the page, so
 * a page may hold fewer than asked for; `next` goes on.
 */
export async function listExceptions(
  deps: Deps,
  jobId: unknown,
  filter?: unknown,
  page?: PageRequest,
): Promise<Page<ItemException>> {
  const job = await getJob(deps, jobId);
  const f = filterOf(filter);
  const out = await deps.exceptions.list(job.jobId, f, page);
  return { items: out.items.filter((x) => matches(f, x)), next: out.next };
}

/** Every exception the filter takes, in item order, a page at a time. */
export async function* selectExceptions(
  deps: Deps,
  jobId: string,
  filter: ExceptionFilter,
): AsyncGenerator<ItemException> {
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list(jobId, filter, { limit: 1000, next });
    for (const x of page.items) if (matches(filter, x)) yield x;
    next = page.next;
  } while (next);
}

/** How many exceptions the filter takes, by status and by kind. */
export interface ExceptionSummary {
  readonly total: number;
  readonly byStatus: Record<ExceptionStatus, number>;
  readonly byKind: Record<string, number>;
}

export async function summarizeExceptions(
  deps: Deps,
  jobId: unknown,
  filter?: unknown,
): Promise<ExceptionSummary> {
  const job = await getJob(deps, jobId);
  const f = filterOf(filter);
  const byStatus = Object.fromEntries(EXCEPTION_STATUSES.map((s) => [s, 0])) as Record<
    ExceptionStatus,
    number
  >;
  const byKind: Record<string, number> = {};
  let total = 0;
  for await (const x of selectExceptions(deps, job.jobId, f)) {
    total++;
    byStatus[x.status]++;
    byKind[x.kind] = (byKind[x.kind] ?? 0) + 1;
  }
  return { total, byStatus, byKind };
}

/**
 * What a review takes: named exceptions, or those a filter takes, or (with `all`) every open one. Exactly one
 * way; reviews take OPEN exceptions of the job's queue only.
 */
export interface Selection {
  readonly ids?: readonly string[];
  readonly filter?: ExceptionFilter;
  readonly all?: boolean;
}

/**
 * The exceptions a review takes, checked before anything is written: named ones must exist, be of the job's
 * queue and be OPEN; a filter or `all` reads OPEN ones of the queue as it goes.
 */
export async function selectionOf(
  deps: Deps,
  jobId: string,
  selection: Selection,
): Promise<AsyncIterable<ItemException> | ItemException[]> {
  const ways = [selection.ids !== undefined, selection.filter !== undefined, selection.all === true];
  if (ways.filter(Boolean).length !== 1) {
    throw new ValidationError([
      {
        field: 'selection',
        rule: 'must name exceptions, give a filter, or ask for all open ones (exactly one)',
      },
    ]);
  }
  if (selection.ids !== undefined) return namedOpen(deps, jobId, selection.ids);
  const f = selection.filter === undefined ? {} : filterOf(selection.filter);
  if (f.sampleRunId !== undefined) {
    throw new ValidationError([
      {
        field: 'sample',
        rule: "must not be given: a sample run's exceptions stay with the sample, unreviewed",
      },
    ]);
  }
  if (f.status !== undefined && f.status !== 'OPEN') {
    throw new ValidationError([
      { field: 'status', rule: 'must be OPEN for a review (only open exceptions are reviewed)' },
    ]);
  }
  return selectExceptions(deps, jobId, { ...f, status: 'OPEN' });
}

/** The named exceptions, which must exist and be OPEN: nothing is written otherwise. */
async function namedOpen(deps: Deps, jobId: string, ids: readonly string[]): Promise<ItemException[]> {
  if (ids.length === 0)
    throw new ValidationError([{ field: 'id', rule: 'must name at least one exception' }]);
  const seen = new Map<number, ItemException>();
  for (const raw of ids) {
    const id = parseField(Text(200), raw, 'id');
    const x = await deps.exceptions.get(jobId, id);
    if (!x) throw new ExceptionNotFoundError({ jobId, exceptionId: id });
    if (x.sampleRunId !== undefined) {
      throw new ValidationError([
        { field: 'id', rule: `must name an exception of the job's queue (${id} is a sample run's)` },
      ]);
    }
    if (x.status !== 'OPEN') {
      throw new ValidationError(
        [{ field: 'id', rule: `must name an OPEN exception (${id} is ${x.status})` }],
        {
          what: 'review',
        },
      );
    }
    seen.set(x.itemId, x);
  }
  return [...seen.values()].sort((a, b) => a.itemId - b.itemId);
}

export async function* pagesOf<T>(items: AsyncIterable<T> | T[], size: number): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const x of items) {
    page.push(x);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
