import { describe, expect, it } from 'vitest';
import { batchCommitted, runFinished } from '../../../core/ports/index.ts';
import { AT, jobRecord, type MakeEnv } from './contract-env.ts';

/** Job `j` with a batch committed by run-1 at AT and the run's end recorded at `end`. */
async function setup(makeEnv: MakeEnv, label: string) {
  const env = await makeEnv(label);
  await env.deps.jobs.putJob(jobRecord('j'));
  await env.deps.runs.putRun({
    jobId: 'j',
    runId: 'run-1',
    mode: 'incremental',
    status: 'PLANNED',
    plannedAt: AT,
    batchesPlanned: 1,
    itemsPlanned: 10,
    manifestKey: 'manifests/j/run-1.json',
    configHash: 'hash-a',
  });
  return env;
}

const commit = (start: number, token = 1) =>
  batchCommitted(
    {
      jobId: 'j',
      runId: 'run-1',
      scope: { kind: 'inventory' },
      start,
      end: start + 9,
      token,
      attempt: token,
      configHash: 'hash-a',
      itemsSucceeded: 9,
      itemsExcepted: 1,
      outputKey: `outputs/j/${start}.jsonl`,
    },
    AT,
  );

/**
 * EventLog and the writes that record events: a run's end told once however many times it closes, the log in
 * time order, pending marks until sent. Runs on the fakes and on the DynamoDB adapters.
 */
export function describeEventLogContract(name: string, makeEnv: MakeEnv): void {
  describe(`EventLog on ${name}`, () => {
    it('records a run’s end with its first close only, and lists the log in time order', async () => {
      const { deps } = await setup(makeEnv, 'events-run-end');
      const first = runFinished(
        { jobId: 'j', runId: 'run-1', mode: 'incremental', status: 'SUCCEEDED' },
        { itemsSucceeded: 9 },
        '2026-01-01T00:00:05.000Z',
      );
      const again = { ...first, at: '2026-01-01T00:00:09.000Z' };

      await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: first.at }, first);
      const closedAgain = await deps.runs.finishRun(
        'j',
        'run-1',
        { status: 'PARTIAL', finishedAt: again.at },
        again,
      );

      expect(closedAgain.status).toBe('PARTIAL');
      expect((await deps.events.list('j', {})).items).toEqual([first]);
      expect(await deps.events.pending('j', 10)).toEqual([first]);
    });

    it('keeps the marks of what is not sent, and lists from an instant on', async () => {
      const { deps } = await setup(makeEnv, 'events-pending');
      const end = runFinished(
        { jobId: 'j', runId: 'run-1', mode: 'incremental', status: 'SUCCEEDED' },
        {},
        '2026-01-01T00:00:05.000Z',
      );
      await deps.runs.finishRun('j', 'run-1', { status: 'SUCCEEDED', finishedAt: end.at }, end);

      await deps.events.markSent('j', [end.eventId, 'j/B#999#1']);

      expect(await deps.events.pending('j', 10)).toEqual([]);
      expect((await deps.events.list('j', { since: '2026-01-01T00:00:05.000Z' })).items).toEqual([end]);
      expect((await deps.events.list('j', { since: '2026-01-01T00:00:06.000Z' })).items).toEqual([]);
      expect((await deps.events.list('other', {})).items).toEqual([]);
    });

    it('pages through a long log with cursors of its own', async () => {
      const { deps } = await setup(makeEnv, 'events-pages');
      for (let k = 0; k < 5; k++) {
        const e = runFinished(
          { jobId: 'j', runId: 'run-1', mode: 'incremental', status: 'SUCCEEDED' },
          {},
          AT,
        );
        await deps.runs.finishRun(
          'j',
          'run-1',
          { status: 'SUCCEEDED', finishedAt: AT },
          { ...e, eventId: `${e.eventId}-${k}` },
        );
      }
      // Only the first close tells: one event, whatever the ids of the later ones.
      expect((await deps.events.list('j', {}, { limit: 1 })).items).toHaveLength(1);
      expect(commit(1).eventId).toBe('j/B#1#1');
      await expect(deps.events.list('j', {}, { next: '%%%' })).rejects.toMatchObject({ field: 'next' });
    });
  });
}
