import { decodeCursor, encodeCursor } from '../../../core/adapters/paging.ts';
import { keys } from '../../../core/contracts/tables.ts';
import { JobNotFoundError } from '../../../core/errors.ts';
import type { Run } from '../../../core/model.ts';
import type { JobEvent, Page, PageRequest, RunStore } from '../../../core/ports/index.ts';
import { type FakeContext, jobOf, putEvent, putJob, recordAt } from './fake-records.ts';
import { compact, copy, pageOf } from './fake-table.ts';

/** RunStore in memory, with DynamoRunStore's rules: the first plan of a run wins, a finish names the job's last run. */
export class FakeRunStore implements RunStore {
  constructor(private readonly ctx: FakeContext) {}

  async putRun(run: Run): Promise<void> {
    const key = keys.run(run.jobId, run.runId);
    if (this.ctx.tables.inventory.has(key)) return;
    this.ctx.tables.inventory.put(key, { kind: 'run', run: copy(compact(run)) });
  }

  async getRun(jobId: string, runId: string): Promise<Run | undefined> {
    const run = recordAt(this.ctx.tables, keys.run(jobId, runId), 'run')?.run;
    return run && copy(run);
  }

  /** Newest first: in descending key order, as the adapter's Query with ScanIndexForward false. */
  async listRuns(jobId: string, page: PageRequest = {}): Promise<Page<Run>> {
    const pk = keys.jobPk(jobId);
    const rows = this.ctx.tables.inventory
      .prefixed(pk, 'R#')
      .flatMap(([sk, r]) => (r.kind === 'run' ? [[sk, r.run] as [string, Run]] : []))
      .reverse();
    const after = decodeCursor(page.next)?.sk as string | undefined;
    const listed = pageOf(rows, page.limit ?? 50, after, 'descending');
    const items = listed.rows.map(([, run]) => copy(run));
    const next = listed.last === undefined ? undefined : { pk, sk: listed.last };
    return { items, next: encodeCursor(next) };
  }

  async finishRun(
    jobId: string,
    runId: string,
    patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>,
    event?: JobEvent,
  ): Promise<Run> {
    const t = this.ctx.tables;
    const record = recordAt(t, keys.run(jobId, runId), 'run');
    const current = record?.run;
    const job = jobOf(t, jobId);
    // Both records must exist, or neither is written.
    if (!current || !job) throw new JobNotFoundError({ jobId });
    const run: Run = {
      ...current,
      status: patch.status,
      finishedAt: patch.finishedAt,
      stats: patch.stats ?? current.stats,
    };
    // The run's end is told once: only the first close records the event.
    const tell = event !== undefined && record?.endEventId === undefined;
    const endEventId = tell ? event.eventId : record?.endEventId;
    t.inventory.put(keys.run(jobId, runId), {
      kind: 'run',
      run: copy(compact(run)),
      ...(endEventId ? { endEventId } : {}),
    });
    putJob(t, { ...job, lastRunId: runId });
    if (tell) putEvent(t, event);
    return copy(compact(run));
  }
}
