import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { type AcceptReport, acceptObject } from '../../core/catalog/accept-object.ts';
import {
  type ChangedLocation as Changed,
  type ContentFacts,
  type DuplicateLocation,
  LOCATIONS_SHOWN,
} from '../../core/catalog/content-changes.ts';
import { deleteDataset } from '../../core/catalog/delete-dataset.ts';
import { Name } from '../../core/validation.ts';
import { formatCount } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { shortHash } from './support.ts';

/** A short account of an object's content: `1,234 B sha256 0a1b2c3d4e5f`. */
const factsText = (f: ContentFacts) =>
  `${f.size === undefined ? '?' : formatCount(f.size)} B${f.checksum ? ` sha256 ${shortHash(f.checksum)}` : ''}`;

/** Up to LOCATIONS_SHOWN lines, then how many more there are. */
function capped<T>(list: readonly T[], line: (x: T) => string): string {
  const shown = list.slice(0, LOCATIONS_SHOWN).map((x) => `${line(x)}\n`);
  const more = list.length - LOCATIONS_SHOWN;
  return shown.join('') + (more > 0 ? `warning: ... and ${more} more (all of them under --json)\n` : '');
}

/**
 * The warnings of a registration: one line per registered location whose object changed (never registered
 * again), one per location whose content the data set already held elsewhere (registered all the same), each
 * list capped, with the count and what to do.
 */
export function contentWarnings(
  r: { datasetId: string; changed: readonly Changed[]; duplicates: readonly DuplicateLocation[] },
  local = false,
): string {
  let text = '';
  if (r.changed.length > 0) {
    text += `warning: ${r.changed.length} registered location(s) changed; not registered again${local ? ' nor uploaded' : ''}, their batches fail until accepted:\n`;
    text += capped(
      r.changed,
      (c) =>
        `warning: changed ${c.location} (ids ${c.ids.start}..${c.ids.end}): registered ${factsText(c.registered)}, now ${factsText(c.found)}`,
    );
    text += `warning: accept a corrected object with: batchkeeper datasets accept ${r.datasetId} <location>${local ? ' --file <file>' : ''}\n`;
  }
  if (r.duplicates.length > 0) {
    text += `warning: ${r.duplicates.length} object(s) hold content the data set already has; registered all the same, under new ids:\n`;
    text += capped(
      r.duplicates,
      (d) => `warning: duplicate ${d.location} holds the same bytes as ${d.sameAs}`,
    );
  }
  return text;
}

export const datasetsDelete = defineCommand({
  words: ['datasets', 'delete'],
  usage: '<datasetId> [--force]',
  summary:
    "delete a data set's catalog records (entries, locations, the data set); its objects in S3 are left as they are",
  positionals: ['datasetId'],
  flags: { force: { type: 'boolean', help: '--force  delete even while jobs read the data set' } },
  schema: targetArgs({ datasetId: Name, force: z.boolean().optional() }),
  needsTarget: true,
  async run(a, ctx) {
    const report = await deleteDataset((await ctx.target()).deps, a.datasetId, { force: a.force === true });
    const forced =
      report.forcedPast.length > 0
        ? `warning: job(s) ${report.forcedPast.join(', ')} read this data set; their runs will fail\n`
        : '';
    const text = `deleted data set ${report.datasetId}${report.resumed ? ' (finished an earlier delete)' : ''}: ${formatCount(report.records)} catalog record(s); objects in S3 left as they are\n${forced}`;
    return { json: report, text };
  },
});

const LocalFile = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((f) => existsSync(f) && statSync(f).isFile(), { error: 'must be an existing file' });

export const datasetsAccept = defineCommand({
  words: ['datasets', 'accept'],
  usage: '<datasetId> <s3://bucket/key> [--file PATH]',
  summary:
    'accept the corrected object at a registered location: its size and checksum are recorded, and the batches done over it before are listed as stale',
  positionals: ['datasetId', 'location'],
  flags: {
    file: {
      type: 'string',
      help: '--file PATH  upload this file to the location first (objects of the data bucket only)',
    },
  },
  schema: targetArgs({ datasetId: Name, location: z.string(), file: LocalFile.optional() }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const body = a.file === undefined ? undefined : await readFile(a.file);
    const report = await acceptObject(deps, { datasetId: a.datasetId, location: a.location }, body);
    return { json: report, text: acceptText(report) };
  },
});

function acceptText(r: AcceptReport): string {
  const head = `${r.uploaded ? `uploaded the file to ${r.location}\n` : ''}${
    r.accepted
      ? `accepted ${r.location} (ids ${r.ids.start}..${r.ids.end}): was ${factsText(r.previous)}, now ${factsText(r.current)}\n`
      : `${r.location} (ids ${r.ids.start}..${r.ids.end}) holds what its entry records (${factsText(r.current)}): nothing to accept\n`
  }`;
  const jobs = r.stale.map((s) => {
    const redo = s.backfills.map(
      (b) => `  redo with  batchkeeper run ${s.jobId} --from ${b.start} --to ${b.end}\n`,
    );
    return `job ${s.jobId}: ${s.batches} stale batch(es) (batches ${s.jobId} --stale)\n${redo.join('')}`;
  });
  return head + jobs.join('');
}
