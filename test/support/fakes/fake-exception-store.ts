import { z } from 'zod';
import {
  exceptionKey,
  fromOccurrenceItem,
  occurrenceIdOf,
  occurrenceWrites,
} from '../../../core/adapters/exception-record.ts';
import { type CursorShape, decodeCursor, encodeCursor, pageLimit } from '../../../core/adapters/paging.ts';
import { keys, pad } from '../../../core/contracts/tables.ts';
import { ValidationError } from '../../../core/errors.ts';
import {
  EXCEPTION_STATUSES,
  type ExceptionOccurrence,
  type ExceptionStatus,
  type ItemException,
} from '../../../core/model.ts';
import type {
  Decision,
  DecisionOutcome,
  ExceptionQuery,
  ExceptionStore,
  NewException,
  OccurrenceRef,
  Page,
  PageRequest,
} from '../../../core/ports/index.ts';
import { Id, Name, parseField, Text } from '../../../core/validation.ts';
import type { FakeContext } from './fake-records.ts';
import { copy, type FakeTable, pageOf } from './fake-table.ts';

const RequeuedAs = z.strictObject({ datasetId: Name, id: Id });

/** What the exceptions table holds: an item's record, or one occurrence. */
export type ExceptionRow =
  | { readonly kind: 'record'; readonly record: ItemException }
  | { readonly kind: 'occurrence'; readonly occurrence: ExceptionOccurrence };

/**
 * One occurrence written the way the commit store writes it (through core/adapters/exception-record.ts, so a
 * fake accepts, bounds and refuses exactly what DynamoDB is sent): the occurrence, and the item's record created
 * or reopened. With `onlyIfNewer`, as a late publish does, the record is left alone when something newer holds it.
 */
export function applyOccurrence(
  table: FakeTable<ExceptionRow>,
  ref: OccurrenceRef,
  x: NewException,
  at: string,
  options: { onlyIfNewer?: boolean } = {},
): void {
  const w = occurrenceWrites(ref, x, at);
  const occurrence = fromOccurrenceItem(w.occurrence);
  const occKey = { pk: w.occurrence.pk as string, sk: w.occurrence.sk as string };
  if (options.onlyIfNewer && table.has(occKey)) return;
  table.put(occKey, { kind: 'occurrence', occurrence });
  const before = recordOf(table.get(w.record.Key));
  if (options.onlyIfNewer && before && before.lastSeenAt > at) return;
  const sampleRunId = ref.scope.kind === 'sample' ? ref.scope.runId : undefined;
  const { note, resolvedAt, requeuedAs } = before ?? {};
  const record: ItemException = {
    jobId: ref.jobId,
    exceptionId: sampleRunId ? `S#${sampleRunId}#${pad(x.itemId)}` : pad(x.itemId),
    itemId: x.itemId,
    ...(sampleRunId ? { sampleRunId } : {}),
    runId: ref.runId,
    batchStart: ref.start,
    kind: occurrence.kind,
    details: occurrence.details,
    status: 'OPEN',
    createdAt: before?.createdAt ?? at,
    lastSeenAt: at,
    occurrences: (before?.occurrences ?? 0) + 1,
    lastOccurrence: occurrenceIdOf(ref),
    requeues: before?.requeues ?? 0,
    ...(note !== undefined ? { note } : {}),
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    ...(requeuedAs !== undefined ? { requeuedAs } : {}),
  };
  table.put(w.record.Key, { kind: 'record', record });
}

const recordOf = (row: ExceptionRow | undefined) => (row?.kind === 'record' ? row.record : undefined);

/**
 * ExceptionStore in memory, with DynamoExceptionStore's rules: one record per item with its occurrences apart,
 * an occurrence published once, a decision only on an OPEN record at the occurrence the reviewer saw, listings
 * in item order with cursors that belong to their listing.
 */
export class FakeExceptionStore implements ExceptionStore {
  constructor(private readonly ctx: FakeContext) {}

  get #table() {
    return this.ctx.tables.exceptions;
  }

  async putCommitted(ref: OccurrenceRef, exceptions: readonly NewException[], at: string): Promise<void> {
    for (const x of exceptions) occurrenceWrites(ref, x, at); // all checked before any is written
    for (const x of exceptions) applyOccurrence(this.#table, ref, x, at, { onlyIfNewer: true });
  }

  async get(jobId: string, exceptionId: string): Promise<ItemException | undefined> {
    const x = recordOf(this.#table.get(exceptionKey(jobId, exceptionId).key));
    return x && copy(x);
  }

  async list(jobId: string, query: ExceptionQuery, page: PageRequest = {}): Promise<Page<ItemException>> {
    const limit = pageLimit(page.limit);
    const pk = keys.jobPk(jobId);
    const q = query ?? {};
    if (q.status !== undefined && !EXCEPTION_STATUSES.includes(q.status)) {
      throw new ValidationError([
        { field: 'status', rule: `must be one of ${EXCEPTION_STATUSES.join(', ')}` },
      ]);
    }
    const scope = q.sampleRunId
      ? { kind: 'sample' as const, runId: q.sampleRunId }
      : { kind: 'inventory' as const };
    const prefix = keys.exceptionPrefix(scope);
    const low = `${prefix}${pad(q.from ?? 0)}`;
    const high = `${prefix}${q.to === undefined ? '9'.repeat(16) : pad(q.to)}`;
    const rows = this.#table
      .between(pk, low, high)
      .filter(([, r]) => r.kind === 'record' && (q.status === undefined || r.record.status === q.status));
    const byIndex = q.status !== undefined && q.sampleRunId === undefined;
    const statusPk = byIndex ? keys.exceptionStatusPk(jobId, q.status as ExceptionStatus) : undefined;
    const shape: CursorShape = byIndex
      ? { attributes: ['pk', 'sk', 'statusPk', 'statusSk'], fixed: { pk, statusPk: statusPk as string } }
      : { attributes: ['pk', 'sk'], fixed: { pk } };
    const after = decodeCursor(page.next, shape)?.sk as string | undefined;
    const listed = pageOf(rows, limit, after);
    const last = listed.last;
    const next =
      last === undefined
        ? undefined
        : byIndex
          ? { pk, sk: last, statusPk, statusSk: last }
          : { pk, sk: last };
    return {
      items: listed.rows.map(([, r]) => copy((r as { record: ItemException }).record)),
      next: encodeCursor(next),
    };
  }

  async occurrences(jobId: string, exceptionId: string): Promise<ExceptionOccurrence[]> {
    const { scope, itemId } = exceptionKey(jobId, exceptionId);
    return this.#table
      .prefixed(keys.jobPk(jobId), keys.occurrencePrefix(scope, itemId))
      .flatMap(([, r]) => (r.kind === 'occurrence' ? [copy(r.occurrence)] : []))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  async decide(
    jobId: string,
    decisions: readonly (Decision & { seen?: string })[],
    at: string,
  ): Promise<DecisionOutcome> {
    const checked = decisions.map((d) => {
      const { key, scope } = exceptionKey(jobId, d.exceptionId);
      if (scope.kind === 'sample') {
        throw new ValidationError([
          {
            field: 'exceptionId',
            rule: `must name an exception of the job's queue (${d.exceptionId} is a sample run's)`,
          },
        ]);
      }
      const note = d.note === undefined ? undefined : parseField(Text(2000), d.note, 'note');
      const requeuedAs = d.to === 'REQUEUED' ? parseField(RequeuedAs, d.requeuedAs, 'requeuedAs') : undefined;
      return { d, key, note, requeuedAs };
    });
    const outcome: DecisionOutcome = { moved: [], taken: [] };
    for (const { d, key, note, requeuedAs } of checked) {
      const current = recordOf(this.#table.get(key));
      if (current?.status !== 'OPEN' || (d.seen && current.lastOccurrence !== d.seen)) {
        outcome.taken.push({ exceptionId: d.exceptionId, status: current?.status ?? 'MISSING' });
        continue;
      }
      const { requeuedAs: _previous, ...rest } = current;
      const moved: ItemException = {
        ...rest,
        status: d.to,
        resolvedAt: at,
        ...(note !== undefined ? { note } : {}),
        ...(requeuedAs ? { requeuedAs: { ...requeuedAs }, requeues: current.requeues + 1 } : {}),
      };
      this.#table.put(key, { kind: 'record', record: copy(moved) });
      outcome.moved.push(d.exceptionId);
    }
    return outcome;
  }

  async counts(jobId: string): Promise<Record<ExceptionStatus, number>> {
    const out = Object.fromEntries(EXCEPTION_STATUSES.map((s) => [s, 0])) as Record<ExceptionStatus, number>;
    for (const [, r] of this.#table.prefixed(keys.jobPk(jobId), 'X#'))
      if (r.kind === 'record') out[r.record.status]++;
    return out;
  }

  async hasOpen(jobId: string, start: number, end: number): Promise<boolean> {
    return this.#openIn(jobId, start, end).length > 0;
  }

  async supersede(by: OccurrenceRef, end: number, at: string): Promise<number> {
    const mine = occurrenceIdOf(by);
    let closed = 0;
    for (const x of this.#openIn(by.jobId, by.start, end)) {
      if (x.lastOccurrence === mine || x.lastSeenAt > at) continue;
      const key = keys.exception(by.jobId, { kind: 'inventory' }, x.itemId);
      const moved: ItemException = {
        ...x,
        status: 'SUPERSEDED',
        supersededBy: { runId: by.runId, at },
        lastSeenAt: at,
      };
      this.#table.put(key, { kind: 'record', record: moved });
      closed++;
    }
    return closed;
  }

  #openIn(jobId: string, start: number, end: number): ItemException[] {
    return this.#table
      .between(keys.jobPk(jobId), `X#${pad(start)}`, `X#${pad(end)}`)
      .flatMap(([, r]) => (r.kind === 'record' && r.record.status === 'OPEN' ? [copy(r.record)] : []));
  }

  async deletePage(jobId: string, limit: number): Promise<number> {
    const pk = keys.jobPk(jobId);
    const doomed = this.#table.prefixed(pk, 'X').slice(0, pageLimit(limit));
    for (const [sk] of doomed) this.#table.delete({ pk, sk });
    return doomed.length;
  }
}
