import { keys } from '../../../core/contracts/tables.ts';
import type { ExceptionPublish, PublishStore } from '../../../core/ports/index.ts';
import { type FakeContext, recordsUnder } from './fake-records.ts';
import { copy } from './fake-table.ts';

/** PublishStore in memory: the records a commit with staged exceptions writes, until they are published. */
export class FakePublishStore implements PublishStore {
  constructor(private readonly ctx: FakeContext) {}

  async pendingPublishes(jobId: string): Promise<ExceptionPublish[]> {
    return recordsUnder(this.ctx.tables, jobId, 'P#', 'publish').map((r) => copy(r.publish));
  }

  async finishPublish(p: ExceptionPublish): Promise<void> {
    this.ctx.tables.inventory.delete(keys.publish(p.jobId, p.scope, p.start, p.token));
  }
}
