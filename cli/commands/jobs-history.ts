import { z } from 'zod';
import {
  HISTORY_KINDS,
  HISTORY_LIMIT,
  type HistoryEvent,
  type HistoryKind,
  IsoTime,
  jobHistory,
} from '../../core/jobs/history.ts';
import { Name } from '../../core/validation.ts';
import { table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { IntFlag } from './flags.ts';
import { shortHash } from './support.ts';

/** `--kind` values: one rule for the flag, however many values break it. */
const KindsFlag = z.array(z.string()).transform((kinds, ctx): HistoryKind[] => {
  const known = new Set<string>(HISTORY_KINDS);
  if (kinds.every((k) => known.has(k))) return kinds as HistoryKind[];
  ctx.addIssue({ code: 'custom', message: `must be one of ${HISTORY_KINDS.join(', ')}` });
  return z.NEVER;
});

const schema = targetArgs({
  jobId: Name,
  since: IsoTime.optional(),
  until: IsoTime.optional(),
  kind: KindsFlag.optional(),
  limit: IntFlag(HISTORY_LIMIT.max).optional(),
  'newest-first': z.boolean().optional(),
}).superRefine((v, ctx) => {
  if (v.since !== undefined && v.until !== undefined && v.since > v.until)
    ctx.addIssue({ code: 'custom', path: ['since'], message: 'must be <= --until' });
});

const HASHES = new Set(['configHash', 'oldConfigHash', 'newConfigHash']);

/** `outcome=FAILED errorName=TypeError`: the detail in a few words, hashes shortened, parts as ranges. */
export function detailText(detail: HistoryEvent['detail']): string {
  return Object.entries(detail)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (HASHES.has(k)) return `${k}=${shortHash(String(v))}`;
      if (Array.isArray(v))
        return `${k}=${v.map((p: { start: number; end: number }) => `${p.start}..${p.end}`).join(',')}`;
      return `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
    })
    .join(' ');
}

export const jobsHistory = defineCommand({
  words: ['jobs', 'history'],
  usage: '<jobId> [--since ISO] [--until ISO] [--kind K]... [--limit N] [--newest-first]',
  summary: "a job's history: creation, config changes, runs, batch attempts and splits, in time order",
  positionals: ['jobId'],
  flags: {
    since: { type: 'string', help: '--since ISO  events at or after this instant' },
    until: { type: 'string', help: '--until ISO  events at or before this instant' },
    kind: {
      type: 'string',
      multiple: true,
      help: `--kind K  only events of this kind (repeatable): ${HISTORY_KINDS.join(', ')}`,
    },
    limit: {
      type: 'string',
      help: `--limit N  at most N events, 1 to ${HISTORY_LIMIT.max} (default ${HISTORY_LIMIT.default})`,
    },
    'newest-first': { type: 'boolean', help: '--newest-first  the newest events first' },
  },
  schema,
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const history = await jobHistory(deps, a.jobId, {
      since: a.since,
      until: a.until,
      kinds: a.kind,
      limit: a.limit,
      newestFirst: a['newest-first'],
    });
    const rows = history.events.map((e) => [
      e.at,
      e.kind,
      e.runId,
      e.range ? `${e.range.start}..${e.range.end}` : undefined,
      detailText(e.detail),
    ]);
    const more = history.truncated
      ? `more events: ask again with --${a['newest-first'] ? 'until' : 'since'} ${history.events.at(-1)?.at}\n`
      : '';
    return { json: history, text: `${table(['at', 'kind', 'run', 'range', 'detail'], rows)}${more}` };
  },
});
