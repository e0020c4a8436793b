import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { listExceptions, selectExceptions, summarizeExceptions } from '../../core/exceptions/exceptions.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import type { ItemException } from '../../core/model.ts';
import { Name } from '../../core/validation.ts';
import { formatCount, table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import {
  checkRange,
  checkSample,
  filterOf,
  LISTING_FLAGS,
  listingShape,
  namingFlags,
} from './exception-flags.ts';

export const exceptionsSummary = defineCommand({
  words: ['exceptions', 'summary'],
  usage: '<jobId> [--status S] [--kind K ...] [--run R] [--from N] [--to M] [--sample RUN]',
  summary: "count a job's exceptions by status and by kind",
  positionals: ['jobId'],
  flags: LISTING_FLAGS,
  schema: targetArgs({ jobId: Name, ...listingShape }).superRefine(checkRange),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    await checkSample(deps, job.jobId, a.sample);
    const s = await namingFlags('exceptions filter', () => summarizeExceptions(deps, job.jobId, filterOf(a)));
    const kinds = Object.entries(s.byKind).sort(([x, m], [y, n]) => n - m || x.localeCompare(y));
    const text =
      `${formatCount(s.total)} exception(s)\n` +
      table(['status', 'exceptions'], Object.entries(s.byStatus)) +
      (kinds.length > 0 ? `\n${table(['kind', 'exceptions'], kinds)}` : '');
    return { json: { jobId: job.jobId, ...s }, text };
  },
});

/** The CSV columns of an export, in order; `details` is the JSON text of the details. */
export const CSV_COLUMNS = [
  'exceptionId',
  'itemId',
  'status',
  'kind',
  'runId',
  'batchStart',
  'occurrences',
  'createdAt',
  'lastSeenAt',
  'note',
  'details',
] as const;

/** One field as RFC 4180 writes it: quoted (quotes doubled) when it holds a comma, a quote or a line break. */
export const csvField = (value: unknown): string => {
  const text =
    value === undefined || value === null
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** One exception as a CSV record (CRLF-terminated, as RFC 4180 has it). */
export const csvRecord = (x: ItemException): string =>
  `${CSV_COLUMNS.map((c) => csvField(x[c as keyof ItemException])).join(',')}\r\n`;

const FORMATS = ['jsonl', 'csv'] as const;
const OutFile = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((p) => existsSync(dirname(p)) && statSync(dirname(p)).isDirectory(), {
    error: 'must be in an existing folder',
  })
  .refine((p) => !(existsSync(p) && statSync(p).isDirectory()), { error: 'must be a file, not a folder' });

/** Records per write: the export streams, holding one page of text at a time. */
const EXPORT_CHUNK = 500;

export const exceptionsExport = defineCommand({
  words: ['exceptions', 'export'],
  usage:
    '<jobId> [--status S] [--kind K ...] [--run R] [--from N] [--to M] [--sample RUN] [--format jsonl|csv] [--out FILE]',
  summary: 'write exceptions as JSON Lines (one exception per line) or CSV, to stdout or a file, streaming',
  positionals: ['jobId'],
  flags: {
    ...LISTING_FLAGS,
    format: { type: 'string', help: '--format F  jsonl (default) or csv' },
    out: { type: 'string', help: '--out FILE  write to FILE (replaced once complete) instead of stdout' },
  },
  schema: targetArgs({
    jobId: Name,
    ...listingShape,
    format: z.enum(FORMATS, { error: 'must be jsonl or csv' }).optional(),
    out: OutFile.optional(),
  }).superRefine(checkRange),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    await checkSample(deps, job.jobId, a.sample);
    const format = a.format ?? 'jsonl';
    const filter = filterOf(a);
    // The core checks the filter before a line is written: a bad one leaves no file and an empty stdout.
    await namingFlags('exceptions filter', () => listExceptions(deps, job.jobId, filter, { limit: 1 }));
    const lines = linesOf(selectExceptions(deps, job.jobId, filter), format);
    if (a.out === undefined) {
      let exported = 0;
      for await (const chunk of lines) {
        ctx.io.out(chunk.text);
        exported += chunk.count;
      }
      if (!ctx.json) ctx.io.err(`exported ${formatCount(exported)} exception(s) (${format})\n`);
      return { json: undefined, text: '' };
    }
    const exported = await writeAtomically(a.out, lines);
    const doc = { jobId: job.jobId, format, out: a.out, exported };
    return { json: doc, text: `exported ${formatCount(exported)} exception(s) to ${a.out} (${format})\n` };
  },
});

async function* linesOf(
  exceptions: AsyncIterable<ItemException>,
  format: (typeof FORMATS)[number],
): AsyncGenerator<{ text: string; count: number }> {
  if (format === 'csv') yield { text: `${CSV_COLUMNS.join(',')}\r\n`, count: 0 };
  let text = '';
  let count = 0;
  for await (const x of exceptions) {
    text += format === 'csv' ? csvRecord(x) : `${JSON.stringify(x)}\n`;
    if (++count === EXPORT_CHUNK) {
      yield { text, count };
      text = '';
      count = 0;
    }
  }
  if (count > 0) yield { text, count };
}

/** Write to a file beside `path`, then rename it over `path`: a failed export leaves no partial file. */
async function writeAtomically(path: string, chunks: AsyncIterable<{ text: string; count: number }>) {
  const partial = `${path}.${randomUUID().slice(0, 8)}.partial`;
  const file = await open(partial, 'wx');
  let exported = 0;
  try {
    for await (const chunk of chunks) {
      await file.write(chunk.text);
      exported += chunk.count;
    }
    await file.close();
    await rename(partial, path);
    return exported;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}
