import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { IsoTime } from '../../core/jobs/history.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { EventLog, JobEvent } from '../../core/ports/index.ts';
import { Name } from '../../core/validation.ts';
import { formatCount, jsonLine, table } from '../output.ts';
import { type CommandContext, type CommandResult, defineCommand, targetArgs } from './args.ts';
import { IntFlag } from './flags.ts';
import { shortHash } from './support.ts';

/** How many events `events tail` shows: the last `default`, or at most `max` from `--since` on. */
export const EVENTS_LIMIT = { max: 1000, default: 20 } as const;

/**
 * How far before the newest event shown `--follow` reads again: an event's time is taken when its commit
 * starts, so a slow commit can land after a quicker, later one; re-reading a window catches it, and event ids
 * tell repeats apart.
 */
export const FOLLOW_LOOKBACK_MS = 30_000;

const PAGE = { limit: 100 } as const;

/** What was read: the events to show and, for `--follow`, every id read near the newest (already told). */
export interface EventsRead {
  readonly events: JobEvent[];
  /** With `since`: whether events past the limit exist. */
  readonly truncated: boolean;
  readonly seen: Map<string, string>;
}

/**
 * The job's events: with `since`, the first `limit` from that instant on; without, the last `limit` of the log
 * (a forward scan of every page: the log's keys only ascend).
 */
export async function readEvents(
  log: EventLog,
  jobId: string,
  q: { since?: string; limit: number },
): Promise<EventsRead> {
  let kept: JobEvent[] = [];
  let next: string | undefined;
  let truncated = false;
  do {
    const page = await log.list(jobId, { since: q.since }, { ...PAGE, next });
    kept.push(...page.items);
    next = page.next;
    if (q.since !== undefined && kept.length >= q.limit) {
      truncated = kept.length > q.limit || next !== undefined;
      kept = kept.slice(0, q.limit);
      break;
    }
    // Keep the last `limit` and whatever lies within the look-back of the newest, no more.
    const newest = kept.at(-1)?.at;
    const floor = newest === undefined ? '' : shiftIso(newest, -FOLLOW_LOOKBACK_MS);
    let drop = 0;
    while (kept.length - drop > q.limit && (kept[drop]?.at ?? '') < floor) drop++;
    kept = kept.slice(drop);
  } while (next);
  const events = q.since !== undefined ? kept : kept.slice(-q.limit);
  return { events, truncated, seen: new Map(kept.map((e) => [e.eventId, e.at])) };
}

export interface FollowOptions {
  /** Ends the polling (SIGINT in the CLI). */
  readonly signal: AbortSignal;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** No event before this instant is told (`--since`). */
  readonly since?: string;
}

/**
 * Poll the job's log every `intervalMs` for events not told yet, from a look-back before the newest told on,
 * and hand them to `tell` in time order, until the signal aborts.
 */
export async function followEvents(
  log: EventLog,
  jobId: string,
  seen: Map<string, string>,
  tell: (events: JobEvent[]) => void,
  o: FollowOptions,
): Promise<void> {
  while (!o.signal.aborted) {
    const done = await sleep(o.intervalMs ?? 1000, false, { signal: o.signal }).catch(() => true);
    if (done) return;
    let newest = o.since ?? '';
    for (const at of seen.values()) if (at > newest) newest = at;
    const from = newest === '' ? o.since : maxIso(o.since, shiftIso(newest, -FOLLOW_LOOKBACK_MS));
    const fresh: JobEvent[] = [];
    let next: string | undefined;
    do {
      const page = await log.list(jobId, { since: from }, { ...PAGE, next });
      fresh.push(...page.items.filter((e) => !seen.has(e.eventId)));
      next = page.next;
    } while (next);
    for (const e of fresh) seen.set(e.eventId, e.at);
    // Forget what the next read no longer reaches.
    for (const [id, at] of seen) if (from !== undefined && at < from) seen.delete(id);
    if (fresh.length > 0) tell(fresh.sort((a, b) => a.at.localeCompare(b.at)));
  }
}

const shiftIso = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();
const maxIso = (a: string | undefined, b: string): string => (a !== undefined && a > b ? a : b);

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

const HEADER = ['at', 'type', 'run', 'range', 'items ok', 'excepted', 'config hash', 'outcome', 'event id'];
/** Fixed widths for `--follow`, whose rows come a few at a time: long cells push the rest, nothing is cut. */
const WIDTHS = [24, 14, 40, 13, 8, 8, 12, 44];

/** One event as a row: a commit's range and config hash, a run's status and batch counts. */
export function eventRow(e: JobEvent): unknown[] {
  const d = e.detail;
  const ok = num(d.itemsSucceeded);
  const excepted = num(d.itemsExcepted);
  if (e.type === 'BatchCommitted') {
    const range = `${num(d.start) ?? '?'}..${num(d.end) ?? '?'}`;
    const hash = shortHash(typeof d.configHash === 'string' ? d.configHash : undefined);
    const outcome = d.scope === 'sample' ? 'committed (sample)' : 'committed';
    return [e.at, e.type, e.runId, range, ok, excepted, hash, outcome, e.eventId];
  }
  const batches = [
    `${formatCount(num(d.batchesSucceeded) ?? 0)} ok`,
    `${formatCount(num(d.batchesFailed) ?? 0)} failed`,
    `${formatCount(num(d.batchesNotDone) ?? 0)} not done`,
  ];
  const outcome = `${String(d.status ?? '?')}: batches ${batches.join(', ')}`;
  return [e.at, e.type, e.runId, undefined, ok, excepted, undefined, outcome, e.eventId];
}

/** A row of `--follow`'s text: the columns of the table, at fixed widths. */
export function followLine(cells: readonly unknown[]): string {
  const text = cells.map((c) => (c === undefined ? '-' : typeof c === 'number' ? formatCount(c) : String(c)));
  return `${text
    .map((t, i) => t.padEnd(WIDTHS[i] ?? 0))
    .join('  ')
    .trimEnd()}\n`;
}

const schema = targetArgs({
  jobId: Name,
  since: IsoTime.optional(),
  limit: IntFlag(EVENTS_LIMIT.max).optional(),
  follow: z.boolean().optional(),
});
type TailArgs = z.output<typeof schema>;

/**
 * `events tail`: the job's events, then with `follow` the new ones until `signal` aborts (exit 0). Printed here
 * as they come with `follow` (text lines or JSON Lines); otherwise one document returned to `main`.
 */
export async function tail(a: TailArgs, ctx: CommandContext, signal?: AbortSignal): Promise<CommandResult> {
  const { deps } = await ctx.target();
  const job = await getJob(deps, a.jobId);
  const read = await readEvents(deps.events, job.jobId, {
    since: a.since,
    limit: a.limit ?? EVENTS_LIMIT.default,
  });
  if (!a.follow || !signal) {
    const more =
      read.truncated && a.since !== undefined
        ? `more events: ask again with --since ${read.events.at(-1)?.at}\n`
        : '';
    const text = `${table(HEADER, read.events.map(eventRow))}${more}`;
    return { json: { jobId: job.jobId, events: read.events }, text };
  }
  const tell = (events: readonly JobEvent[]) => {
    for (const e of events) ctx.io.out(ctx.json ? jsonLine(e) : followLine(eventRow(e)));
  };
  if (!ctx.json) ctx.io.out(followLine(HEADER));
  tell(read.events);
  // Past the limit of a --since read, following goes on from the last event shown.
  await followEvents(deps.events, job.jobId, read.seen, tell, { signal, since: a.since });
  return { json: undefined, text: '' };
}

/** An AbortSignal that Ctrl-C (SIGINT) or SIGTERM aborts, and the function that stops listening. */
function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export const eventsTail = defineCommand({
  words: ['events', 'tail'],
  usage: '<jobId> [--since ISO] [--limit N] [--follow]',
  summary:
    "a job's events (one per committed batch, one per finished run) in time order; --follow prints new ones as they come",
  positionals: ['jobId'],
  flags: {
    since: { type: 'string', help: '--since ISO  events at or after this instant (the first N of them)' },
    limit: {
      type: 'string',
      help: `--limit N  at most N events, 1 to ${EVENTS_LIMIT.max} (default: the last ${EVENTS_LIMIT.default})`,
    },
    follow: {
      type: 'boolean',
      help: '--follow  then poll every second and print new events until Ctrl-C (with --json: JSON Lines)',
    },
  },
  schema,
  needsTarget: true,
  async run(a, ctx) {
    if (!a.follow) return tail(a, ctx);
    const interrupt = interruptSignal();
    try {
      return await tail(a, ctx, interrupt.signal);
    } finally {
      interrupt.release();
    }
  },
});
