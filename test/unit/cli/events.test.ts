import { describe, expect, it } from 'vitest';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import {
  EVENTS_LIMIT,
  eventsTail,
  FOLLOW_LOOKBACK_MS,
  followEvents,
  readEvents,
  tail,
} from '../../../cli/commands/events.ts';
import { main } from '../../../cli/commands/main.ts';
import { contextFor } from '../../../cli/commands/support.ts';
import { memoryIo } from '../../../cli/output.ts';
import type { Target } from '../../../cli/target.ts';
import { JobNotFoundError } from '../../../core/errors.ts';
import {
  batchCommitted,
  type EventLog,
  type JobEvent,
  type Page,
  type PageRequest,
  runFinished,
} from '../../../core/ports/index.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const isoAt = (s: number) => new Date(T0 + s * 1000).toISOString();
const HASH = `sha256:${'ab'.repeat(32)}`;

/** The commit of batch `start` (50 ids) by run `r1`, `s` seconds after T0. */
const commit = (start: number, s: number, runId = 'r1'): JobEvent =>
  batchCommitted(
    {
      jobId: 'j1',
      runId,
      scope: { kind: 'inventory' },
      start,
      end: start + 49,
      token: 1,
      attempt: 1,
      configHash: HASH,
      itemsSucceeded: 48,
      itemsExcepted: 2,
      outputKey: `outputs/j1/${start}-${start + 49}.jsonl`,
    },
    isoAt(s),
  );

const finished = (s: number, runId = 'r1'): JobEvent =>
  runFinished(
    { jobId: 'j1', runId, mode: 'incremental', status: 'PARTIAL' },
    { batchesSucceeded: 2, batchesFailed: 1, batchesNotDone: 0, itemsSucceeded: 96, itemsExcepted: 4 },
    isoAt(s),
  );

/** EventLog over an array kept in key order (`<at>#<eventId>`), with pages and `since` as the adapter has them. */
class ListEventLog implements EventLog {
  readonly lists: (string | undefined)[] = [];
  constructor(readonly all: JobEvent[] = []) {}

  add(...events: JobEvent[]) {
    this.all.push(...events);
    this.all.sort((a, b) => `${a.at}#${a.eventId}`.localeCompare(`${b.at}#${b.eventId}`));
  }

  async list(_jobId: string, q: { since?: string }, page: PageRequest = {}): Promise<Page<JobEvent>> {
    this.lists.push(q.since);
    const from = this.all.filter((e) => q.since === undefined || e.at >= q.since);
    const offset = Number(page.next ?? 0);
    const limit = page.limit ?? 100;
    const items = from.slice(offset, offset + limit);
    return { items, next: offset + limit < from.length ? String(offset + limit) : undefined };
  }
  async pending(): Promise<JobEvent[]> {
    return [];
  }
  async markSent(): Promise<void> {}
}

function targetOf(log: EventLog): Target {
  const jobs = {
    getJob: async (jobId: string) => (jobId === 'j1' ? { jobId: 'j1' } : undefined),
  };
  return { kind: 'local', deps: { jobs, events: log } } as unknown as Target;
}

const argsOf = (...argv: string[]) =>
  validateArgs(eventsTail, readArgs(eventsTail, argv)) as Parameters<typeof tail>[0];

/** 250 commits, one a second: three pages of the log. */
const manyCommits = () => Array.from({ length: 250 }, (_, i) => commit(1 + 50 * i, i));

const USAGE_ERRORS: [string[], string][] = [
  [['--since', 'yesterday'], '--since: must be an ISO 8601 time such as 2026-01-01T00:00:00Z'],
  [['--since', '2026-13-01'], '--since: must be an ISO 8601 time such as 2026-01-01T00:00:00Z'],
  [['--limit', '0'], '--limit: must be >= 1'],
  [['--limit', '1001'], '--limit: must be <= 1000'],
  [['--limit', 'ten'], '--limit: must be a positive integer'],
  [['--follow=yes'], '--follow: takes no value'],
];

describe('events tail arguments', () => {
  it.each(USAGE_ERRORS)('refuses %j with exit 2, stating the rule once', async (argv, message) => {
    const text = await cli('events', 'tail', 'j1', ...argv, '--local', '--data-dir', '/tmp/bk-no-such-dir');
    const json = await cli(
      'events',
      'tail',
      'j1',
      ...argv,
      '--json',
      '--local',
      '--data-dir',
      '/tmp/bk-none',
    );

    expect(text.code).toBe(2);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain(`error: ${message}`);
    expect(text.stderr.split(message)).toHaveLength(2);
    expect(json.code).toBe(2);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { name: 'UsageError', exitCode: 2 } });
  });

  it('reads an instant in any offset as UTC, a limit and --follow', () => {
    expect(argsOf('j1', '--since', '2026-01-02T12:00:00+02:00', '--limit', '50', '--follow')).toMatchObject({
      jobId: 'j1',
      since: '2026-01-02T10:00:00.000Z',
      limit: 50,
      follow: true,
    });
  });

  it('refuses an unknown job with JobNotFoundError before reading events', async () => {
    const log = new ListEventLog(manyCommits());

    await expect(tail(argsOf('nope'), contextFor(targetOf(log), memoryIo(), true))).rejects.toBeInstanceOf(
      JobNotFoundError,
    );
    expect(log.lists).toEqual([]);
  });
});

describe('readEvents', () => {
  it('keeps the last N of the whole log when no --since is given', async () => {
    const log = new ListEventLog(manyCommits());

    const read = await readEvents(log, 'j1', { limit: EVENTS_LIMIT.default });

    expect(read.events.map((e) => e.at)).toEqual(
      manyCommits()
        .slice(-20)
        .map((e) => e.at),
    );
    // What --follow must not tell again: everything within the look-back of the newest.
    expect(read.seen.size).toBe(FOLLOW_LOOKBACK_MS / 1000 + 1);
  });

  it('with --since takes the first N from that instant on and stops reading', async () => {
    const log = new ListEventLog(manyCommits());

    const read = await readEvents(log, 'j1', { since: isoAt(10), limit: 5 });

    expect(read.events.map((e) => e.detail.start)).toEqual([501, 551, 601, 651, 701]);
    expect(read.truncated).toBe(true);
    expect(log.lists).toHaveLength(1);
  });
});

describe('events tail output', () => {
  it('prints one --json document of the events in time order', async () => {
    const log = new ListEventLog([commit(1, 1), commit(51, 2), finished(3)]);

    const result = await eventsTail.run(argsOf('j1'), contextFor(targetOf(log), memoryIo(), true));

    expect(JSON.parse(JSON.stringify(result.json))).toEqual({
      jobId: 'j1',
      events: [commit(1, 1), commit(51, 2), finished(3)],
    });
  });

  it('shows a commit’s range, counts and short hash, and a run’s status and counts', async () => {
    const log = new ListEventLog([commit(1, 1), finished(3)]);

    const { text } = await eventsTail.run(argsOf('j1'), contextFor(targetOf(log), memoryIo()));
    const [header, batch, run] = text.split('\n');

    expect(header).toMatch(
      /^at\s+type\s+run\s+range\s+items ok\s+excepted\s+config hash\s+outcome\s+event id$/,
    );
    expect(batch?.split(/\s{2,}/)).toEqual([
      '2026-01-01T00:00:01.000Z',
      'BatchCommitted',
      'r1',
      '1..50',
      '48',
      '2',
      'abababababab',
      'committed',
      'j1/B#1#1',
    ]);
    expect(run?.split(/\s{2,}/)).toEqual([
      '2026-01-01T00:00:03.000Z',
      'RunFinished',
      'r1',
      '-',
      '96',
      '4',
      '-',
      'PARTIAL: batches 2 ok, 1 failed, 0 not done',
      'j1/run#r1',
    ]);
  });

  it('says from which instant to ask again when --since stopped at the limit', async () => {
    const log = new ListEventLog(manyCommits());

    const { text } = await eventsTail.run(
      argsOf('j1', '--since', isoAt(0), '--limit', '2'),
      contextFor(targetOf(log), memoryIo()),
    );

    expect(text.trimEnd().split('\n').at(-1)).toBe(`more events: ask again with --since ${isoAt(1)}`);
  });
});

describe('events tail --follow', () => {
  it('tells each new event once, a late commit within the look-back too, until aborted', async () => {
    const log = new ListEventLog([commit(1, 100)]);
    const told: string[] = [];
    const stop = new AbortController();
    const seen = new Map([[commit(1, 100).eventId, isoAt(100)]]);

    const following = followEvents(log, 'j1', seen, (es) => told.push(...es.map((e) => e.eventId)), {
      signal: stop.signal,
      intervalMs: 5,
    });
    log.add(commit(51, 102));
    await until(() => told.length === 1);
    // Committed before the newest told, landing after it was read.
    log.add(commit(101, 101), finished(103));
    await until(() => told.length === 3);
    stop.abort();
    await following;

    expect(told).toEqual(['j1/B#51#1', 'j1/B#101#1', 'j1/run#r1']);
    // Each read starts a look-back before the newest event told.
    expect(log.lists).toContain(isoAt(102 - FOLLOW_LOOKBACK_MS / 1000));
  });

  it('prints the last events, then new ones as JSON Lines, and ends with nothing more when interrupted', async () => {
    const log = new ListEventLog([commit(1, 1)]);
    const io = memoryIo();
    const stop = new AbortController();

    const running = tail(argsOf('j1', '--follow'), contextFor(targetOf(log), io, true), stop.signal);
    await until(() => io.stdout.split('\n').length === 2);
    log.add(finished(2));
    await until(() => io.stdout.split('\n').length === 3, 3_000);
    stop.abort();
    const result = await running;

    expect(
      io.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([commit(1, 1), finished(2)]);
    expect(result).toEqual({ json: undefined, text: '' });
  });

  it('prints text rows under one header as they come', async () => {
    const log = new ListEventLog([commit(1, 1)]);
    const io = memoryIo();
    const stop = new AbortController();

    const running = tail(argsOf('j1', '--follow'), contextFor(targetOf(log), io), stop.signal);
    await until(() => io.stdout.includes('BatchCommitted'));
    stop.abort();
    await running;

    const [header, row] = io.stdout.split('\n');
    expect(header).toMatch(/^at {24}type {12}run/);
    expect(row?.indexOf('BatchCommitted')).toBe(header?.indexOf('type'));
  });
});

async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
