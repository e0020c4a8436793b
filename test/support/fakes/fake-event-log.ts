import { decodeCursor, encodeCursor, pageLimit } from '../../../core/adapters/paging.ts';
import { keys } from '../../../core/contracts/tables.ts';
import type { EventLog, JobEvent, Page, PageRequest } from '../../../core/ports/index.ts';
import type { FakeContext } from './fake-records.ts';
import { copy, pageOf } from './fake-table.ts';

/** EventLog in memory, with DynamoEventLog's rules: the job's log in time order, pending marks until sent. */
export class FakeEventLog implements EventLog {
  constructor(private readonly ctx: FakeContext) {}

  async list(jobId: string, query: { since?: string }, page: PageRequest = {}): Promise<Page<JobEvent>> {
    const pk = keys.jobPk(jobId);
    const rows = this.ctx.tables.inventory.between(pk, `V#${query.since ?? ''}`, 'V#\uffff');
    const after = decodeCursor(page.next, { attributes: ['pk', 'sk'], fixed: { pk } })?.sk as
      | string
      | undefined;
    const listed = pageOf(rows, pageLimit(page.limit), after);
    const items = listed.rows.flatMap(([, r]) => (r.kind === 'event' ? [copy(r.event)] : []));
    return { items, next: encodeCursor(listed.last === undefined ? undefined : { pk, sk: listed.last }) };
  }

  async pending(jobId: string, limit: number): Promise<JobEvent[]> {
    return this.ctx.tables.inventory
      .prefixed(keys.jobPk(jobId), 'Q#')
      .slice(0, pageLimit(limit))
      .flatMap(([, r]) => (r.kind === 'event' ? [copy(r.event)] : []))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  async markSent(jobId: string, eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.ctx.tables.inventory.delete(keys.pendingEvent(jobId, id));
  }
}
