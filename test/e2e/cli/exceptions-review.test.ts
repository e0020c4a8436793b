import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../../cli/commands/exceptions-export.ts';
import { pad } from '../../../core/contracts/tables.ts';
import type { ItemException } from '../../../core/model.ts';
import { type CliEnv, type CliResult, type RunDoc, registryJob, startCliEnv } from './harness.ts';

type Listing = { exceptions: ItemException[] };
type Report = { jobId: string; reviewed: number; byKind: Record<string, number>; alreadyReviewed: number };
type Requeued = Report & { datasetId: string; requeued: number };

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; records end in CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

/**
 * The review of exceptions through the CLI on the local mode: one open exception per item however often it is set
 * aside, a sample's exceptions apart, superseded when a later attempt processes the item, bulk and concurrent
 * reviews, a requeue that feeds each item once, exports that match the listing, and bad input refused.
 */
describe('batchkeeper CLI on the local mode: exceptions review', () => {
  let env: CliEnv;
  const job = 'review';
  const BACKFILL_END = 700;
  let firstRun: RunDoc;
  let sampleRun: RunDoc;

  beforeAll(async () => {
    env = await startCliEnv('exceptions');
    await registryJob(env, {
      jobId: job,
      processor: 'normalize-address',
      batchSize: 100,
      records: { start: 1, count: 1_400, perFile: 700, badRate: 0.2 },
    });
  });

  afterAll(async () => {
    await env?.stop();
  });

  const list = async (...flags: string[]) => {
    const r = await env.json<Listing>('exceptions', 'list', job, ...flags);
    expect(r.code, r.stderr).toBe(0);
    return r.doc.exceptions;
  };
  const runWait = async (...flags: string[]) => {
    const r = await env.json<RunDoc>('run', job, ...flags, '--wait');
    expect(r.code, r.stderr).toBe(0);
    return r.doc;
  };
  const highIdOf = async (datasetId: string) => {
    const r = await env.json<{ dataset: { highId: number } }>('datasets', 'show', datasetId);
    return r.code === 0 ? r.doc.dataset.highId : undefined;
  };
  const openOfKind = (xs: ItemException[], kind: string) =>
    xs.filter((x) => x.status === 'OPEN' && x.kind === kind);
  /** The kinds of the open exceptions, most common first. */
  const kindsByCount = (xs: ItemException[]) => {
    const counts = new Map<string, number>();
    for (const x of xs) if (x.status === 'OPEN') counts.set(x.kind, (counts.get(x.kind) ?? 0) + 1);
    return [...counts].sort(([, m], [, n]) => n - m).map(([k]) => k);
  };

  it('keeps one open exception per item through repeated backfills, and a sample apart', async () => {
    firstRun = await runWait();
    const excepted = firstRun.items.excepted;
    expect(excepted).toBeGreaterThan(100);
    const first = await list('--status', 'OPEN');
    expect(first).toHaveLength(excepted);

    const backfills = [await runWait('--from', '1', '--to', String(BACKFILL_END))];
    backfills.push(await runWait('--from', '1', '--to', String(BACKFILL_END)));
    sampleRun = await runWait('--sample-every', '3');
    expect(sampleRun.items.excepted).toBeGreaterThan(0);

    const open = await list('--status', 'open');
    expect(open.map((x) => x.itemId)).toEqual(first.map((x) => x.itemId));
    expect(new Set(open.map((x) => x.itemId)).size).toBe(open.length);
    for (const x of open) {
      expect(x.exceptionId).toBe(pad(x.itemId));
      expect(x.occurrences).toBe(x.itemId <= BACKFILL_END ? 3 : 1);
      expect(x.runId).toBe(x.itemId <= BACKFILL_END ? backfills[1]?.runId : firstRun.runId);
    }
    const summary = await env.json<{ total: number; byStatus: Record<string, number> }>(
      'exceptions',
      'summary',
      job,
    );
    expect(summary.doc).toMatchObject({ total: excepted, byStatus: { OPEN: excepted, RESOLVED: 0 } });

    const sample = await list('--sample', sampleRun.runId);
    expect(sample).toHaveLength(sampleRun.items.excepted);
    const queued = new Set(open.map((x) => x.itemId));
    for (const x of sample) {
      expect(x.exceptionId).toBe(`S#${sampleRun.runId}#${pad(x.itemId)}`);
      expect(queued.has(x.itemId)).toBe(true);
    }

    const inRange = open.find((x) => x.itemId <= BACKFILL_END) as ItemException;
    const shown = await env.json<{ exception: ItemException; occurrences: { runId: string }[] }>(
      'exceptions',
      'show',
      job,
      String(inRange.itemId),
    );
    expect(shown.doc.exception.exceptionId).toBe(inRange.exceptionId);
    expect(shown.doc.occurrences.map((o) => o.runId)).toEqual([
      firstRun.runId,
      ...backfills.map((b) => b.runId),
    ]);
  });

  it('closes as superseded the exceptions that a later attempt processes', async () => {
    const before = await list();
    const updated = await env.cli('jobs', 'update-config', job, '--config', '{"requireHouseNumber": false}');
    expect(updated.code, updated.stderr).toBe(0);
    const backfill = await runWait('--from', '1', '--to', String(BACKFILL_END));
    const after = new Map((await list()).map((x) => [x.itemId, x]));
    let superseded = 0;
    for (const x of before) {
      const now = after.get(x.itemId);
      if (x.kind === 'missing-house-number' && x.itemId <= BACKFILL_END) {
        superseded++;
        expect(now).toMatchObject({ status: 'SUPERSEDED', supersededBy: { runId: backfill.runId } });
      } else {
        expect(now?.status).toBe('OPEN');
      }
    }
    expect(superseded).toBeGreaterThan(0);
  });

  it('resolves by kind exactly the matching open exceptions', async () => {
    const before = await list();
    const kind = kindsByCount(before)[0] as string;
    const matching = openOfKind(before, kind);
    const r = await env.json<Report>('exceptions', 'resolve', job, '--kind', kind, '--note', 'not retried');
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toEqual({
      jobId: job,
      reviewed: matching.length,
      byKind: { [kind]: matching.length },
      alreadyReviewed: 0,
    });
    const after = new Map((await list()).map((x) => [x.itemId, x]));
    const changed = new Set(matching.map((x) => x.itemId));
    for (const x of before) {
      const now = after.get(x.itemId);
      if (changed.has(x.itemId)) expect(now).toMatchObject({ status: 'RESOLVED', note: 'not retried' });
      else expect(now).toEqual(x);
    }
  });

  it('lets two resolves of the same filter run at once: both exit 0 and their counts add up', async () => {
    const before = await list();
    const kind = kindsByCount(before)[0] as string;
    const n = openOfKind(before, kind).length;
    expect(n).toBeGreaterThan(0);
    const both = await Promise.all(
      [1, 2].map(() => env.json<Report>('exceptions', 'resolve', job, '--kind', kind, '--note', 'raced')),
    );
    for (const r of both) expect(r.code, r.stderr).toBe(0);
    expect(both.reduce((sum, r) => sum + r.doc.reviewed, 0)).toBe(n);
    expect(openOfKind(await list(), kind)).toEqual([]);
  });

  it('requeues each open item once, and a second requeue feeds nothing', async () => {
    const open = await list('--status', 'OPEN');
    expect(open.length).toBeGreaterThan(0);
    const r = await env.json<Requeued>('exceptions', 'requeue', job);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc).toMatchObject({
      datasetId: `${job}.exceptions`,
      requeued: open.length,
      reviewed: open.length,
      alreadyReviewed: 0,
    });
    expect(await highIdOf(`${job}.exceptions`)).toBe(open.length);
    const requeued = await list('--status', 'REQUEUED');
    expect(requeued.map((x) => x.itemId)).toEqual(open.map((x) => x.itemId));
    expect(new Set(requeued.map((x) => x.requeuedAs?.id)).size).toBe(open.length);

    const again = await env.cli('exceptions', 'requeue', job);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`requeued 0 item(s) into data set ${job}.exceptions`);
    expect(await highIdOf(`${job}.exceptions`)).toBe(open.length);
  });

  it('exports JSON Lines and CSV that match the listing', async () => {
    const listing = await list();
    const jsonl = await env.cli('exceptions', 'export', job);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const lines = jsonl.stdout.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(listing);

    const file = join(env.dataDir, 'exceptions.csv');
    const csv = await env.json<{ exported: number; format: string }>(
      'exceptions',
      'export',
      job,
      '--format',
      'csv',
      '--out',
      file,
    );
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.doc).toMatchObject({ exported: listing.length, format: 'csv' });
    const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(listing.length);
    rows.forEach((row, i) => {
      const x = listing[i] as ItemException;
      const record = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, row[k]]));
      expect(record).toEqual({
        exceptionId: x.exceptionId,
        itemId: String(x.itemId),
        status: x.status,
        kind: x.kind,
        runId: x.runId,
        batchStart: String(x.batchStart),
        occurrences: String(x.occurrences),
        createdAt: x.createdAt,
        lastSeenAt: x.lastSeenAt,
        note: x.note ?? '',
        details: JSON.stringify(x.details),
      });
    });

    const sample = await env.cli('exceptions', 'export', job, '--sample', sampleRun.runId);
    expect(
      sample.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(await list('--sample', sampleRun.runId));
  });

  it('refuses each bad input with one typed error, an empty stdout, and the state unchanged', async () => {
    const state = async () => ({
      queue: await list(),
      sample: await list('--sample', sampleRun.runId),
      fed: await highIdOf(`${job}.exceptions`),
    });
    const before = await state();
    const sampleId = before.sample[0]?.exceptionId as string;
    const resolved = before.queue.find((x) => x.status === 'RESOLVED')?.exceptionId as string;
    const out = join(env.dataDir, 'refused.csv');
    const cases: [string[], number, string, string][] = [
      [
        ['list', job, '--status', 'DONE'],
        2,
        'UsageError',
        '--status: must be one of OPEN, RESOLVED, REQUEUED, SUPERSEDED',
      ],
      [
        ['resolve', job, '--from', '9', '--to', '3', '--note', 'n'],
        2,
        'UsageError',
        '--from: must be <= --to',
      ],
      [['resolve', job, '--kind', '', '--note', 'n'], 2, 'UsageError', '--kind: must not be empty'],
      [['resolve', job, '--note', 'n'], 2, 'UsageError', 'exceptions to resolve: must be given'],
      [['export', job, '--format', 'xml', '--out', out], 2, 'UsageError', '--format: must be jsonl or csv'],
      [
        ['resolve', job, sampleId, '--note', 'n'],
        1,
        'ValidationError',
        "<exceptionId>: must name an exception of the job's queue",
      ],
      [
        ['resolve', job, '--id', '99999', '--note', 'n'],
        1,
        'ExceptionNotFoundError',
        'has no exception 99999',
      ],
      [['requeue', job, '--id', '99999'], 1, 'ExceptionNotFoundError', 'has no exception 99999'],
      [
        ['requeue', job, '--id', resolved],
        1,
        'ValidationError',
        `--id: must name an OPEN exception (${resolved} is RESOLVED)`,
      ],
      [
        ['list', job, '--sample', 'no-such-run'],
        1,
        'ValidationError',
        `--sample: must name a sample run of job ${job}`,
      ],
    ];
    for (const [args, code, name, message] of cases) {
      const r: CliResult = await env.cli('exceptions', ...args, '--json');
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
      expect(lines).toHaveLength(1);
      const error = (JSON.parse(lines[0] as string) as { error: { name: string; message: string } }).error;
      expect(error.name).toBe(name);
      expect(error.message.split(message)).toHaveLength(2);
    }
    expect(existsSync(out)).toBe(false);
    expect(await state()).toEqual(before);
  });
});
