import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSummary } from '../../../core/jobs/stats.ts';
import { type ConsoleEnv, consoleEnv } from './console-env.ts';

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON documents, read by the assertions below
type Doc = Record<string, any>;

/** The console's JSON API over the port fakes: the same core calls as the CLI, figures as the inventory has them. */
describe('the console API', () => {
  let env: ConsoleEnv;
  beforeAll(async () => {
    env = await consoleEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });
  const ok = async (path: string, body?: unknown): Promise<Doc> => {
    const r = await env.api(path, { body });
    expect(r.status, JSON.stringify(r.doc)).toBe(200);
    return r.doc as Doc;
  };

  it('lists the jobs with backlog, batches, open exceptions and last run', async () => {
    const { jobs } = await ok('/api/jobs');

    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      job: { jobId: 'j', watermark: 61 },
      backlog: 40,
      highId: 100,
      batches: { done: 6, failed: 0, leased: 0, pending: 0, stale: 0 },
      exceptions: { OPEN: 30 },
      lastRun: { runId: 'run-1', status: 'SUCCEEDED' },
    });
  });

  it("shows a job with the same summary as 'jobs show'", async () => {
    const doc = await ok('/api/jobs/j');

    expect(doc.summary).toEqual(JSON.parse(JSON.stringify(await jobSummary(env.deps, 'j'))));
    expect(doc.summary).toMatchObject({ itemsDone: 30, itemsExcepted: 30, batches: { SUCCEEDED: 6 } });
    expect(doc.overview.backlog).toBe(40);
  });

  it('aggregates the range map into buckets over a window', async () => {
    const whole = await ok('/api/jobs/j/map?buckets=10');
    const zoomed = await ok('/api/jobs/j/map?buckets=4&from=51&to=70');

    expect(whole).toMatchObject({ from: 1, to: 100, buckets: 10, width: 10, batches: 6 });
    expect(whole.totals).toMatchObject({ done: 60, never: 40, failed: 0 });
    expect(whole.counts.done).toEqual([10, 10, 10, 10, 10, 10, 0, 0, 0, 0]);
    expect(zoomed).toMatchObject({ from: 51, to: 70, width: 5 });
    expect(zoomed.counts.done).toEqual([5, 5, 0, 0]);
    expect(zoomed.counts.never).toEqual([0, 0, 5, 5]);
  });

  it('finds the gaps: ids not done', async () => {
    expect(await ok('/api/jobs/j/gaps')).toMatchObject({
      total: 1,
      gaps: [{ start: 61, end: 100, ids: 40, classes: ['never'] }],
    });
  });

  it('lists batches from an id with their attempts and the five preflight answers of each', async () => {
    const { batches, next } = await ok('/api/jobs/j/batches?from=15&limit=2');

    expect(batches.map((b: Doc) => [b.start, b.end, b.shownAs])).toEqual([
      [11, 20, 'done'],
      [21, 30, 'done'],
    ]);
    expect(next).toBe(31);
    const [attempt] = batches[0].attempts;
    expect(attempt).toMatchObject({ attempt: 1, runId: 'run-1', outcome: 'SUCCEEDED', itemsExcepted: 5 });
    expect(Object.keys(attempt.preflight)).toEqual(['ready', 'right', 'where', 'safe', 'valid']);
    expect(attempt.preflight.ready).toMatchObject({ ok: true });
  });

  it('lists runs and shows one with its attempts and progress', async () => {
    const { runs } = await ok('/api/jobs/j/runs');
    const one = await ok('/api/jobs/j/runs/run-1');

    expect(runs.map((r: Doc) => [r.runId, r.status, r.batchesPlanned])).toEqual([['run-1', 'SUCCEEDED', 6]]);
    expect(one.progress).toEqual({ planned: 6, succeeded: 6, failed: 0 });
    expect(one.attempts).toHaveLength(6);
    expect(one.run.stats.states).toBeDefined();
  });

  it('previews a backfill: its ranges, batch count and an estimated cost, starting nothing', async () => {
    const doc = await ok('/api/jobs/j/preview', { mode: 'backfill', idStart: 55, idEnd: 80 });

    expect(doc.preview).toMatchObject({ batches: 3, items: 26, newBatches: 2 });
    expect(doc.preview.ranges).toEqual([
      { start: 55, end: 60, batches: 1, items: 6, kind: 'existing' },
      { start: 61, end: 80, batches: 2, items: 20, kind: 'new' },
    ]);
    expect(doc.cost.totalUsd).toBeGreaterThan(0);
    expect(doc.cost.lines.map((l: Doc) => l.unit)).toEqual([
      'GB-s',
      'requests',
      'transitions',
      'requests',
      'GB-s',
      'WRU',
      'RRU',
    ]);
    expect(env.started).toEqual([]);
  });

  it('starts a run through the backend after the same checks as the CLI', async () => {
    const doc = await ok('/api/jobs/j/runs', { mode: 'backfill', idStart: 1, idEnd: 20 });
    const beyond = await env.api('/api/jobs/j/runs', { body: { mode: 'backfill', idStart: 1, idEnd: 500 } });

    expect(doc.started).toMatchObject({ runId: 'run-2' });
    expect(env.started).toEqual([{ jobId: 'j', mode: 'backfill', idStart: 1, idEnd: 20 }]);
    expect(beyond.status).toBe(400);
    expect(beyond.doc.error).toMatchObject({
      name: 'ValidationError',
      violations: [{ field: 'idEnd', rule: 'must be <= 100, the last id of data set ds' }],
    });
  });

  it('answers bad input with the typed error, its name and fields', async () => {
    const noEnd = await env.api('/api/jobs/j/preview', { body: { mode: 'backfill', idStart: 5 } });
    const badQuery = await env.api('/api/jobs/j/map?buckets=0');
    const unknown = await env.api('/api/jobs/nope');
    const route = await env.api('/api/nothing');

    expect(noEnd.status).toBe(400);
    expect(noEnd.doc.error).toMatchObject({ name: 'ValidationError', violations: [{ field: 'idEnd' }] });
    expect(badQuery.status).toBe(400);
    expect(badQuery.doc.error).toMatchObject({ violations: [{ field: 'buckets', rule: 'must be >= 1' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.doc.error).toMatchObject({ name: 'JobNotFoundError', jobId: 'nope' });
    expect(route.status).toBe(404);
    expect(route.doc.error).toMatchObject({ name: 'RouteNotFoundError' });
  });

  it('filters the exception queue by kind, run and range', async () => {
    const triple = await ok('/api/jobs/j/exceptions?status=OPEN&kind=triple');
    const ranged = await ok('/api/jobs/j/exceptions?status=OPEN&kind=odd&from=1&to=20&run=run-1');

    expect(triple.exceptions.map((x: Doc) => x.itemId)).toEqual([3, 9, 15, 21, 27, 33, 39, 45, 51, 57]);
    expect(ranged.exceptions.map((x: Doc) => x.itemId)).toEqual([1, 5, 7, 11, 13, 17, 19]);
    expect(triple.openByKind).toEqual({ odd: 20, triple: 10 });
  });
});

describe('the console API reviews', () => {
  let env: ConsoleEnv;
  beforeAll(async () => {
    env = await consoleEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('resolves exactly the exceptions a filter takes, with the note', async () => {
    const r = await env.api('/api/jobs/j/exceptions/resolve', {
      body: { filter: { kinds: ['odd'], from: 1, to: 30 }, note: 'known bad rows' },
    });

    expect(r.status).toBe(200);
    expect(r.doc).toMatchObject({ reviewed: 10, byKind: { odd: 10 }, alreadyReviewed: 0 });
    const resolved = (await env.deps.exceptions.list('j', { status: 'RESOLVED' })).items;
    expect(resolved.map((x) => x.itemId)).toEqual([1, 5, 7, 11, 13, 17, 19, 23, 25, 29]);
    expect(resolved.every((x) => x.note === 'known bad rows')).toBe(true);
    expect(await env.deps.exceptions.counts('j')).toMatchObject({ OPEN: 20, RESOLVED: 10 });
  });

  it('requeues named exceptions, and refuses a resolve without a note', async () => {
    const requeued = await env.api('/api/jobs/j/exceptions/requeue', { body: { ids: ['3', '9'] } });
    const noNote = await env.api('/api/jobs/j/exceptions/resolve', { body: { ids: ['15'] } });

    expect(requeued.doc).toMatchObject({ requeued: 2, datasetId: 'j.exceptions' });
    expect(noNote.status).toBe(400);
    expect(noNote.doc.error).toMatchObject({ name: 'ValidationError', violations: [{ field: 'note' }] });
    expect(await env.deps.exceptions.counts('j')).toMatchObject({ OPEN: 18, REQUEUED: 2 });
  });
});
