import { z } from 'zod';
import { exceptionKey, fromExceptionItem, toExceptionItem } from '../../../core/adapters/exception-record.ts';
import { decodeCursor, encodeCursor, pageLimit } from '../../../core/adapters/paging.ts';
import { keys } from '../../../core/contracts/tables.ts';
import { ExceptionNotFoundError, ValidationError } from '../../../core/errors.ts';
import type { ExceptionStatus, ItemException } from '../../../core/model.ts';
import type { ExceptionStore, NewException, Page, PageRequest } from '../../../core/ports/index.ts';
import { Id, Name, parse, Text } from '../../../core/validation.ts';
import type { FakeContext } from './fake-records.ts';
import { copy, pageOf } from './fake-table.ts';

const STATUSES: readonly ExceptionStatus[] = ['OPEN', 'RESOLVED', 'REQUEUED'];
const RequeueInput = z.object({ requeuedAs: z.strictObject({ datasetId: Name, id: Id }) });

/**
 * An OPEN exception as the exceptions table keeps it, through the adapters' one mapping
 * (core/adapters/exception-record.ts): a fake accepts, bounds and refuses exactly what DynamoDB is sent.
 */
export const exceptionRecord = (
  jobId: string,
  runId: string,
  batchStart: number,
  x: NewException,
  at: string,
): ItemException => fromExceptionItem(toExceptionItem(jobId, runId, batchStart, x, at));

/** Where an exception record lives: one per (item, run). */
export const recordKey = (x: Pick<ItemException, 'jobId' | 'itemId' | 'runId'>) =>
  keys.exception(x.jobId, x.itemId, x.runId);

function checkStatus(status: ExceptionStatus): ExceptionStatus {
  if (STATUSES.includes(status)) return status;
  throw new ValidationError([{ field: 'status', rule: `must be one of ${STATUSES.join(', ')}` }]);
}

/**
 * ExceptionStore in memory, with DynamoExceptionStore's rules: a published exception is written only if absent,
 * an exception leaves OPEN once (resolved or requeued) and never for an id that does not exist, listings page in
 * (item id, run) order with cursors that belong to their listing.
 */
export class FakeExceptionStore implements ExceptionStore {
  constructor(private readonly ctx: FakeContext) {}

  async putCommitted(
    jobId: string,
    runId: string,
    batchStart: number,
    exceptions: readonly NewException[],
    at: string,
  ): Promise<void> {
    const records = exceptions.map((x) => exceptionRecord(jobId, runId, batchStart, x, at));
    for (const x of records)
      if (!this.ctx.tables.exceptions.has(recordKey(x))) this.ctx.tables.exceptions.put(recordKey(x), x);
  }

  async get(jobId: string, exceptionId: string): Promise<ItemException | undefined> {
    const x = this.ctx.tables.exceptions.get(exceptionKey(jobId, exceptionId));
    return x && copy(x);
  }

  async list(
    jobId: string,
    status: ExceptionStatus | undefined,
    page: PageRequest = {},
  ): Promise<Page<ItemException>> {
    const limit = pageLimit(page.limit);
    const pk = keys.jobPk(jobId);
    const all = this.ctx.tables.exceptions.prefixed(pk, 'X#');
    if (status === undefined) {
      const after = decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk } })?.sk as string;
      const listed = pageOf(all, limit, after);
      const next = listed.last === undefined ? undefined : { pk, sk: listed.last };
      return { items: listed.rows.map(([, x]) => copy(x)), next: encodeCursor(next) };
    }
    // The byStatus index: statusPk = J#<job>#<status>, statusSk = the table's sort key.
    const statusPk = keys.exceptionStatusPk(jobId, checkStatus(status));
    const shape = { attributes: ['pk', 'sk', 'statusPk', 'statusSk'], fixed: { pk, statusPk } };
    const after = decodeCursor(page.next, shape)?.statusSk as string;
    const listed = pageOf(
      all.filter(([, x]) => x.status === status),
      limit,
      after,
    );
    const next =
      listed.last === undefined ? undefined : { pk, sk: listed.last, statusPk, statusSk: listed.last };
    return { items: listed.rows.map(([, x]) => copy(x)), next: encodeCursor(next) };
  }

  async resolve(jobId: string, exceptionId: string, note: string, at: string): Promise<ItemException> {
    const { note: text } = parse(z.object({ note: Text(1024) }), { note }, 'resolution');
    return this.#leaveOpen(jobId, exceptionId, 'resolve', (x) => ({
      ...x,
      status: 'RESOLVED',
      note: text,
      resolvedAt: at,
    }));
  }

  async markRequeued(
    jobId: string,
    exceptionId: string,
    requeuedAs: { datasetId: string; id: number },
    at: string,
  ): Promise<ItemException> {
    const { requeuedAs: target } = parse(RequeueInput, { requeuedAs }, 'requeue');
    return this.#leaveOpen(jobId, exceptionId, 'requeue', (x) => ({
      ...x,
      status: 'REQUEUED',
      requeuedAs: { datasetId: target.datasetId, id: target.id },
      resolvedAt: at,
    }));
  }

  async counts(jobId: string): Promise<Record<ExceptionStatus, number>> {
    const out: Record<ExceptionStatus, number> = { OPEN: 0, RESOLVED: 0, REQUEUED: 0 };
    for (const [, x] of this.ctx.tables.exceptions.prefixed(keys.jobPk(jobId), 'X#')) out[x.status]++;
    return out;
  }

  async deletePage(jobId: string, limit: number): Promise<number> {
    const pk = keys.jobPk(jobId);
    const doomed = this.ctx.tables.exceptions.prefixed(pk, 'X#').slice(0, pageLimit(limit));
    for (const [sk] of doomed) this.ctx.tables.exceptions.delete({ pk, sk });
    return doomed.length;
  }

  /** OPEN to another status, once: a reviewed exception keeps its first decision; no record is created here. */
  async #leaveOpen(
    jobId: string,
    exceptionId: string,
    action: 'resolve' | 'requeue',
    change: (x: ItemException) => ItemException,
  ): Promise<ItemException> {
    const key = exceptionKey(jobId, exceptionId);
    const current = this.ctx.tables.exceptions.get(key);
    if (!current) throw new ExceptionNotFoundError({ jobId, exceptionId });
    if (current.status !== 'OPEN') {
      throw new ValidationError(
        [{ field: 'status', rule: `must be OPEN to ${action} (is ${current.status})` }],
        {
          what: `exception ${exceptionId}`,
        },
      );
    }
    const moved = change(current);
    this.ctx.tables.exceptions.put(key, copy(moved));
    return copy(moved);
  }
}
