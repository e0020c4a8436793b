import { z } from 'zod';
import type { Deps } from '../../core/deps.ts';
import { ValidationError } from '../../core/errors.ts';
import { RunId } from '../../core/events.ts';
import type { ExceptionFilter } from '../../core/exceptions/exceptions.ts';
import { EXCEPTION_STATUSES, type ItemException } from '../../core/model.ts';
import { Text } from '../../core/validation.ts';
import { formatCount } from '../output.ts';
import type { FlagSpec } from './args.ts';
import { IdFlag, OneOf } from './flags.ts';

/**
 * What the exceptions commands share: the id, note and filter flags with their rules, the core filter they
 * make, and core rules renamed to the flags that set them.
 */

/** An exception id: the item id (16-digit padded or not), or `S#<runId>#<item id>` for a sample run's. */
export const EXCEPTION_ID = /^(\d{1,16}|S#[A-Za-z0-9_-]{1,80}#\d{1,16})$/;
export const EXCEPTION_ID_RULE = 'must be an item id, or S#<runId>#<item id> for a sample run';
export const ExceptionId = z.string().regex(EXCEPTION_ID, { error: EXCEPTION_ID_RULE });
/** `--id` values: one rule for the flag, however many values break it. */
export const ExceptionIds = z.array(z.string()).superRefine((ids, ctx) => {
  if (ids.some((id) => !EXCEPTION_ID.test(id))) ctx.addIssue({ code: 'custom', message: EXCEPTION_ID_RULE });
});
export const NoteText = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .pipe(Text(2000));
/** `--kind` values: one rule for the flag, however many values break it. */
export const Kinds = z.array(z.string()).superRefine((kinds, ctx) => {
  if (kinds.some((k) => k.length === 0)) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
  else if (kinds.some((k) => k.length > 256))
    ctx.addIssue({ code: 'custom', message: 'must be at most 256 characters' });
});

export const FILTER_FLAGS: Record<string, FlagSpec> = {
  kind: { type: 'string', multiple: true, help: '--kind K  only exceptions of this kind (repeatable)' },
  run: { type: 'string', help: '--run R  only exceptions whose latest occurrence is of run R' },
  from: { type: 'string', help: '--from N  only items with id >= N' },
  to: { type: 'string', help: '--to M  only items with id <= M' },
};
export const LISTING_FLAGS: Record<string, FlagSpec> = {
  status: {
    type: 'string',
    help: `--status S  only exceptions in this status (${EXCEPTION_STATUSES.join('|')})`,
  },
  ...FILTER_FLAGS,
  sample: { type: 'string', help: "--sample RUN  a sample run's exceptions instead of the job's queue" },
};
export const filterShape = {
  kind: Kinds.optional(),
  run: RunId.optional(),
  from: IdFlag.optional(),
  to: IdFlag.optional(),
};
export const listingShape = {
  ...filterShape,
  status: OneOf(EXCEPTION_STATUSES).optional(),
  sample: RunId.optional(),
};

export type FilterFlags = {
  kind?: string[];
  run?: string;
  from?: number;
  to?: number;
  status?: ExceptionFilter['status'];
  sample?: string;
};

export function checkRange(v: FilterFlags, ctx: z.RefinementCtx): void {
  if (v.from !== undefined && v.to !== undefined && v.from > v.to)
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be <= --to' });
}

/** The core's filter from the flags (core names: kinds, runId, sampleRunId). */
export function filterOf(v: FilterFlags): ExceptionFilter {
  const f = { status: v.status, kinds: v.kind, runId: v.run, from: v.from, to: v.to, sampleRunId: v.sample };
  return Object.fromEntries(Object.entries(f).filter(([, x]) => x !== undefined)) as ExceptionFilter;
}

export const hasFilter = (v: FilterFlags) =>
  v.kind !== undefined || v.run !== undefined || v.from !== undefined || v.to !== undefined;

/** Core field names under the flags that set them, so that a rule of the core names the flag. */
const FLAG_OF: Record<string, string> = {
  kinds: '--kind',
  runId: '--run',
  sampleRunId: '--sample',
  sample: '--sample',
  from: '--from',
  to: '--to',
  status: '--status',
  note: '--note',
  id: '--id',
  exceptionId: '--id',
};

/** Run a core call; its ValidationError comes back naming the flags (`positional` when an id was given so). */
export async function namingFlags<T>(what: string, call: () => Promise<T>, positional = false): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const field = (f: string) =>
      positional && (f === 'id' || f === 'exceptionId') ? '<exceptionId>' : (FLAG_OF[f] ?? f);
    const violations = error.violations.map((v) => ({ field: field(v.field), rule: v.rule }));
    throw new ValidationError(violations, { what, cause: error });
  }
}

/** `--sample RUN` must name a sample run of the job: an empty listing would hide a typo. */
export async function checkSample(deps: Deps, jobId: string, sample: string | undefined): Promise<void> {
  if (sample === undefined) return;
  const run = await deps.runs.getRun(jobId, sample);
  if (run?.mode !== 'sample')
    throw new ValidationError([{ field: '--sample', rule: `must name a sample run of job ${jobId}` }], {
      what: 'exceptions filter',
    });
}

/** What an exception is about, in a few words: the processor's reason, or the kind. */
export const reasonOf = (x: ItemException) =>
  typeof x.details.reason === 'string' ? x.details.reason : x.kind;

/** `missing-city 10, empty-address 2`, largest first. */
export const kindsText = (byKind: Record<string, number>) =>
  Object.entries(byKind)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([k, n]) => `${k} ${formatCount(n)}`)
    .join(', ');
