import type { Deps } from '../deps.ts';
import { ExceptionNotFoundError } from '../errors.ts';
import { getJob } from '../jobs/jobs.ts';
import type { ItemException } from '../model.ts';
import type { DecisionOutcome } from '../ports/index.ts';
import { parseField, Text } from '../validation.ts';
import { pagesOf, type Selection, selectionOf } from './exceptions.ts';

/** What a review did: exceptions moved (by kind), and those another review or a new occurrence took first. */
export interface ReviewReport {
  /** Exceptions this call moved out of OPEN. */
  readonly reviewed: number;
  readonly byKind: Record<string, number>;
  /** Moved meanwhile by a concurrent review, or set aside again since they were read: left as they are. */
  readonly alreadyReviewed: number;
}

/** Decisions per round: one page read, one batch of writes. */
const REVIEW_PAGE = 500;

/**
 * Close exceptions after review, with a note saying what was decided. Named exceptions must exist and be OPEN,
 * checked before anything is written; with a filter, only the exceptions still OPEN and at the occurrence read
 * are closed. Safe to run twice or concurrently: an exception leaves OPEN once, and the loser counts it as
 * already reviewed.
 */
export async function resolveExceptions(
  deps: Deps,
  jobId: unknown,
  selection: Selection,
  note: unknown,
): Promise<ReviewReport> {
  const job = await getJob(deps, jobId);
  const text = parseField(Text(2000), note, 'note');
  const picked = await selectionOf(deps, job.jobId, selection);
  const at = now(deps);
  const report = { reviewed: 0, byKind: {} as Record<string, number>, alreadyReviewed: 0 };
  for await (const page of pagesOf(picked, REVIEW_PAGE)) {
    const out = await deps.exceptions.decide(
      job.jobId,
      page.map((x) => ({
        exceptionId: x.exceptionId,
        to: 'RESOLVED' as const,
        note: text,
        seen: x.lastOccurrence,
      })),
      at,
    );
    addOutcome(report, out, page);
  }
  return report;
}

/** Close one exception after review (the single form of resolveExceptions), returning it as it is now. */
export async function resolveException(
  deps: Deps,
  jobId: unknown,
  exceptionId: unknown,
  note: unknown,
): Promise<{ exception: ItemException; report: ReviewReport }> {
  const job = await getJob(deps, jobId);
  const id = parseField(Text(200), exceptionId, 'exceptionId');
  const report = await resolveExceptions(deps, job.jobId, { ids: [id] }, note);
  const exception = await deps.exceptions.get(job.jobId, id);
  if (!exception) throw new ExceptionNotFoundError({ jobId: job.jobId, exceptionId: id });
  return { exception, report };
}

/** Add what the decisions on `page` did to the report: counts, and kinds as the page read them. */
export function addOutcome(
  report: { reviewed: number; byKind: Record<string, number>; alreadyReviewed: number },
  out: DecisionOutcome,
  page: readonly ItemException[],
): void {
  const kindOf = new Map(page.map((x) => [x.exceptionId, x.kind]));
  report.reviewed += out.moved.length;
  report.alreadyReviewed += out.taken.length;
  for (const id of out.moved) {
    const kind = kindOf.get(id) ?? 'unknown';
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
  }
}

export const now = (deps: Deps) => new Date(deps.clock.now()).toISOString();
