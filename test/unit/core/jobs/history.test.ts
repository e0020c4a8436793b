import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobNotFoundError, ValidationError } from '../../../../core/errors.ts';
import type { RunInput } from '../../../../core/events.ts';
import { type HistoryEvent, jobHistory } from '../../../../core/jobs/history.ts';
import { updateJobConfig } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { defineProcessor } from '../../../../core/processors/define-processor.ts';
import { finalizeRun } from '../../../../core/runs/finalize-run.ts';
import { JsonObject } from '../../../../core/validation.ts';
import type { FakeDeps } from '../../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { quietWorker } from '../../../support/seed-data.ts';
import { batchEnv } from '../processing/batch-env.ts';

/** Fails the batch holding id 15 while `behaviour.failOn15`. */
const behaviour = { failOn15: true };
const flaky = defineProcessor({
  name: 'flaky',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (behaviour.failOn15 && id === 15) throw new TypeError('boom');
    return { ok: true };
  },
});

const SECOND = 1000;

/** Plan (unless planned), process every batch a second apart, and finalize run `runId` of job `j`. */
async function run(deps: FakeDeps, runId: string, input?: Omit<RunInput, 'jobId'>, manifestKey?: string) {
  const key = manifestKey ?? (await planRun(deps, { jobId: 'j', ...input } as RunInput, runId)).manifestKey;
  const mode = input?.mode ?? 'incremental';
  for (const batch of await manifestOf(deps, key)) {
    deps.clock.advance(SECOND);
    await processBatch(deps, { jobId: 'j', runId, mode, batch }, quietWorker(`w-${runId}`)).catch(() => {});
  }
  deps.clock.advance(SECOND);
  await finalizeRun(deps, { jobId: 'j', runId });
}

/**
 * Job `j` over 40 ids in batches of 10: run-1 (incremental, 11-20 fails), a config change, then run-2, a
 * backfill of 15..25 that splits 11-20 and 21-30 at its bounds and redoes the parts inside.
 */
async function withHistory() {
  behaviour.failOn15 = true;
  const env = await batchEnv({ processor: 'flaky', processors: [flaky] });
  const { deps } = env;
  const plan = await deps.runs.getRun('j', 'run-1');
  await run(deps, 'run-1', undefined, plan?.manifestKey);
  deps.clock.advance(SECOND);
  await updateJobConfig(deps, 'j', { tag: 'b' });
  deps.clock.advance(SECOND);
  behaviour.failOn15 = false;
  await run(deps, 'run-2', { mode: 'backfill', idStart: 15, idEnd: 25 });
  return deps;
}

const brief = (e: HistoryEvent) =>
  [e.kind, e.runId, e.range && `${e.range.start}-${e.range.end}`].filter(Boolean).join(' ');

describe('jobHistory', () => {
  it('tells creation, config change, runs, attempts and splits in time order', async () => {
    const deps = await withHistory();

    const { events, truncated, order } = await jobHistory(deps, 'j');

    expect(order).toBe('oldest-first');
    expect(truncated).toBe(false);
    expect(events.map(brief)).toEqual([
      'job-created',
      'run-planned run-1',
      'attempt-started run-1 1-10',
      'attempt-ended run-1 1-10',
      'attempt-started run-1 11-20',
      'attempt-ended run-1 11-20',
      'attempt-started run-1 21-30',
      'attempt-ended run-1 21-30',
      'attempt-started run-1 31-40',
      'attempt-ended run-1 31-40',
      'run-finished run-1',
      'config-changed',
      'run-planned run-2 15-25',
      'batch-split 11-20',
      'batch-split 21-30',
      'attempt-started run-2 15-20',
      'attempt-ended run-2 15-20',
      'attempt-started run-2 21-25',
      'attempt-ended run-2 21-25',
      'run-finished run-2 15-25',
    ]);
    const times = events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
  });

  it('keeps what each change was: outcome and error, old and new config, parts, counts', async () => {
    const deps = await withHistory();
    const job = await deps.jobs.getJob('j');

    const { events } = await jobHistory(deps, 'j');
    const find = (text: string) => events.find((e) => brief(e) === text)?.detail;

    const [created, changed] = [find('job-created'), find('config-changed')];
    expect(created).toMatchObject({ processor: 'flaky@1', datasetId: 'ds' });
    expect(changed).toEqual({
      oldConfigHash: created?.configHash,
      newConfigHash: job?.configHash,
      processorVersion: '1',
    });
    expect(changed?.oldConfigHash).not.toBe(changed?.newConfigHash);
    expect(find('attempt-ended run-1 11-20')).toMatchObject({
      outcome: 'FAILED',
      errorName: 'TypeError',
      attempt: 1,
    });
    expect(find('attempt-ended run-2 15-20')).toMatchObject({
      outcome: 'SUCCEEDED',
      configHash: job?.configHash,
      itemsSucceeded: 6,
    });
    expect(find('batch-split 11-20')).toEqual({
      parts: [
        { start: 11, end: 14 },
        { start: 15, end: 20 },
      ],
    });
    expect(find('run-finished run-1')).toMatchObject({
      status: 'PARTIAL',
      batchesSucceeded: 3,
      batchesFailed: 1,
    });
  });

  it('lists newest first, filtered by kind and window, and says when the limit cut it', async () => {
    const deps = await withHistory();
    const all = (await jobHistory(deps, 'j')).events;
    const changedAt = all.find((e) => e.kind === 'config-changed')?.at as string;

    const newest = await jobHistory(deps, 'j', { newestFirst: true });
    const failures = await jobHistory(deps, 'j', {
      kinds: ['attempt-ended', 'batch-split'],
      until: changedAt,
    });
    const after = await jobHistory(deps, 'j', { since: changedAt, kinds: ['config-changed', 'run-planned'] });
    const cut = await jobHistory(deps, 'j', { newestFirst: true, limit: 3 });

    expect(newest.events).toEqual([...all].reverse());
    expect(failures.events.map(brief)).toEqual([
      'attempt-ended run-1 1-10',
      'attempt-ended run-1 11-20',
      'attempt-ended run-1 21-30',
      'attempt-ended run-1 31-40',
    ]);
    expect(after.events.map(brief)).toEqual(['config-changed', 'run-planned run-2 15-25']);
    expect(after.events[0]?.detail.oldConfigHash).toBe(all[0]?.detail.configHash);
    expect(cut.events.map(brief)).toEqual([
      'run-finished run-2 15-25',
      'attempt-ended run-2 21-25',
      'attempt-started run-2 21-25',
    ]);
    expect(cut.truncated).toBe(true);
  });

  it('reads the attempts of the runs near the limit only', async () => {
    const deps = await withHistory();
    const read: string[] = [];
    const runAttempts = deps.attempts.runAttempts.bind(deps.attempts);
    const counted = {
      ...deps,
      attempts: Object.assign(Object.create(deps.attempts), {
        runAttempts: (jobId: string, runId: string) => {
          read.push(runId);
          return runAttempts(jobId, runId);
        },
      }),
    };

    await jobHistory(counted, 'j', { newestFirst: true, limit: 3 });
    const newest = [...read];
    read.length = 0;
    await jobHistory(counted, 'j', { limit: 3 });

    expect(newest).toEqual(['run-2']);
    expect(read).toEqual(['run-1']);
  });

  it('refuses an unknown job and a bad query with typed errors', async () => {
    const deps = await withHistory();

    await expect(jobHistory(deps, 'nope')).rejects.toBeInstanceOf(JobNotFoundError);
    const bad = await jobHistory(deps, 'j', { since: '2026-02-01', until: '2026-01-01' }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.field).toBe('since');
    await expect(jobHistory(deps, 'j', { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(jobHistory(deps, 'j', { since: 'yesterday' })).rejects.toBeInstanceOf(ValidationError);
  });
});
