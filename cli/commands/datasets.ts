import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { type ChangedLocation, changeAt } from '../../core/catalog/content-changes.ts';
import { BAD_LINES_SHOWN } from '../../core/catalog/json-lines.ts';
import {
  entriesOf,
  entryOfBody,
  objectsUnder,
  type PlannedEntries,
  type RegisterReport,
  registerPlanned,
} from '../../core/catalog/register-objects.ts';
import { datasetKeyOf, datasetPrefixOf, locationOf } from '../../core/contracts/s3-keys.ts';
import {
  DatasetDeletingError,
  DatasetNotFoundError,
  ValidationError,
  type Violation,
} from '../../core/errors.ts';
import type { Dataset } from '../../core/model.ts';
import { DatasetSpec } from '../../core/model.ts';
import type { NewEntry } from '../../core/ports/index.ts';
import { Name } from '../../core/validation.ts';
import { fields, formatCount, table } from '../output.ts';
import type { Target } from '../target.ts';
import { defineCommand, targetArgs } from './args.ts';
import { contentWarnings } from './datasets-lifecycle.ts';
import { collect } from './support.ts';

const S3_PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

const Source = z
  .string()
  .min(1, { error: 'must not be empty' })
  .refine((s) => (s.startsWith('s3://') ? S3_PREFIX.test(s) : existsSync(s)), {
    error: 'must be an existing folder or file, or s3://bucket/prefix',
  });

export interface RegisterDatasetInput {
  readonly datasetId: string;
  /** A local folder (its `*.jsonl` files), a local file, or `s3://bucket/prefix` registered in place. */
  readonly source: string;
  readonly secretArn?: string;
  readonly description?: string;
}

export interface RegisterDatasetResult extends RegisterReport {
  readonly datasetId: string;
  readonly created: boolean;
  /** Local files uploaded, and where to. */
  readonly uploaded: { file: string; key: string }[];
  readonly highId: number;
}

/**
 * Upload local JSON Lines files under `datasets/<datasetId>/<name>` of the data bucket (or take an S3 prefix
 * in place) and register them, creating the data set if needed. Everything is read and checked first: a source
 * that holds nothing, a bucket that does not exist, or a line that is not one JSON object in valid UTF-8 is an
 * error that leaves nothing behind (no data set, no object, no id). A file whose location is registered already
 * is not uploaded again: overwriting it would make the registered checksum a lie.
 */
export async function registerDataset(
  target: Target,
  input: RegisterDatasetInput,
): Promise<RegisterDatasetResult> {
  const { deps, buckets } = target;
  const before = await deps.catalog.getDataset(input.datasetId);
  if (before?.state === 'DELETING') throw new DatasetDeletingError({ datasetId: input.datasetId });
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(input.source);
  let planned: PlannedEntries;
  let uploads: { file: string; key: string; body: Buffer }[] = [];
  if (s3) {
    const objects = await objectsUnder(deps, s3[1] as string, s3[2] ?? '').catch((error: unknown) => {
      if ((error as Error)?.name !== 'NoSuchBucket') throw error;
      throw invalidSource(`names bucket ${s3[1]}, which does not exist`);
    });
    if (objects.length === 0) throw invalidSource(`holds no objects (${input.source})`);
    planned = await entriesOf(deps, objects, input.datasetId);
  } else {
    const files = await localFiles(input.source);
    if (files.length === 0) throw invalidSource(`holds no *.jsonl files (${input.source})`);
    const local = await readLocal(target, input.datasetId, files);
    uploads = local.uploads;
    planned = local.planned;
  }
  if (planned.problems.length > 0)
    throw new ValidationError(planned.problems.slice(0, BAD_LINES_SHOWN), {
      what: `data set source ${input.source} (every line must be one JSON object)`,
    });
  const fresh = [...planned.byDataset.values()].flat().length;
  const again =
    planned.skipped.filter((x) => x.reason.startsWith('already registered')).length +
    (planned.changed?.length ?? 0);
  if (fresh === 0 && again === 0)
    throw invalidSource(`holds no item: every object is empty (${input.source})`);

  const at = new Date(deps.clock.now()).toISOString();
  // Without a secret to check, an existing data set is taken as is (createDataset would compare the secret).
  if (!before || input.secretArn !== undefined) {
    await deps.catalog.createDataset(
      { datasetId: input.datasetId, secretArn: input.secretArn, description: input.description },
      at,
    );
  }
  for (const u of uploads) await deps.objects.put(buckets.data, u.key, u.body, 'application/x-ndjson');
  const report = await registerPlanned(deps, planned, { duplicates: true });
  const after = await deps.catalog.getDataset(input.datasetId);
  return {
    datasetId: input.datasetId,
    created: !before,
    uploaded: uploads.map(({ file, key }) => ({ file, key })),
    ...report,
    highId: after?.highId ?? 0,
  };
}

const invalidSource = (rule: string) =>
  new ValidationError([{ field: 'source', rule }], { what: 'datasets register' });

/** A folder's `*.jsonl` files in name order (ids follow that order), or the one file given. */
async function localFiles(source: string): Promise<string[]> {
  if (!(await stat(source)).isDirectory()) return [source];
  const names = (await readdir(source)).filter((n) => n.endsWith('.jsonl')).sort();
  return names.map((n) => join(source, n));
}

/**
 * Local files read and checked, as the entries they will be once uploaded; a file whose location is registered
 * already is passed by (not uploaded again).
 */
async function readLocal(target: Target, datasetId: string, files: readonly string[]) {
  const { deps, buckets } = target;
  const uploads: { file: string; key: string; body: Buffer }[] = [];
  const entries: NewEntry[] = [];
  const skipped: RegisterReport['skipped'] = [];
  const problems: Violation[] = [];
  const changed: ChangedLocation[] = [];
  for (const file of files) {
    const key = datasetKeyOf(datasetId, basename(file));
    const location = locationOf(buckets.data, key);
    const body = await readFile(file);
    const read = localEntry(location, file, key, body);
    if ((await deps.catalog.findLocation(datasetId, location)) !== undefined) {
      // Never uploaded again: overwriting the object would make its entry's checksum a lie.
      const change = read && (await changeAt(deps, datasetId, read.entry));
      if (change) changed.push(change);
      else skipped.push({ key, reason: 'already registered (not uploaded again)' });
      continue;
    }
    if (!read) {
      skipped.push({ key, reason: 'empty file' });
      continue;
    }
    problems.push(...read.problems);
    uploads.push({ file, key, body });
    entries.push(read.entry);
  }
  const planned: PlannedEntries = {
    byDataset: new Map([[datasetId, entries]]),
    skipped,
    problems,
    changed,
  };
  return { uploads, planned };
}

/** The entry a local file will be once uploaded to `location`; undefined when it is empty. */
function localEntry(
  location: string,
  file: string,
  key: string,
  body: Buffer,
): { entry: NewEntry; problems: Violation[] } | undefined {
  if (key.endsWith('.jsonl')) return entryOfBody(location, file, body);
  if (body.byteLength === 0) return undefined;
  const entry: NewEntry = { count: 1, location, format: 'object', weights: body.byteLength };
  return { entry: { ...entry, size: body.byteLength }, problems: [] };
}

function registerText(r: RegisterDatasetResult, target: Target, local: boolean): string {
  const skipped = r.skipped.map((s) => `  skipped ${s.key}: ${s.reason}\n`).join('');
  return (
    `data set ${r.datasetId}${r.created ? ' (created)' : ''}\n` +
    (r.uploaded.length > 0
      ? `uploaded ${r.uploaded.length} file(s) to ${locationOf(target.buckets.data, datasetPrefixOf(r.datasetId))}\n`
      : '') +
    `registered ${formatCount(r.registered)} object(s), ${formatCount(r.items)} item(s); ids now 1..${formatCount(r.highId)}\n${skipped}` +
    contentWarnings(r, local)
  );
}

export const datasetsRegister = defineCommand({
  words: ['datasets', 'register'],
  usage: '<datasetId> <folder | file | s3://bucket/prefix> [--secret-arn ARN] [--description TEXT]',
  summary: 'upload JSON Lines files (or take an S3 prefix in place) and register them as items',
  positionals: ['datasetId', 'source'],
  flags: {
    'secret-arn': {
      type: 'string',
      help: '--secret-arn ARN  Secrets Manager secret for access to the storage',
    },
    description: { type: 'string', help: '--description TEXT  what the data set holds' },
  },
  schema: targetArgs({
    datasetId: Name,
    source: Source,
    'secret-arn': DatasetSpec.shape.secretArn,
    description: DatasetSpec.shape.description,
  }),
  needsTarget: true,
  async run(a, ctx) {
    const target = await ctx.target();
    const result = await registerDataset(target, {
      datasetId: a.datasetId,
      source: a.source,
      secretArn: a['secret-arn'],
      description: a.description,
    });
    return { json: result, text: registerText(result, target, !a.source.startsWith('s3://')) };
  },
});

export const datasetsList = defineCommand({
  words: ['datasets', 'list'],
  usage: '',
  summary: 'list the data sets',
  positionals: [],
  flags: {},
  schema: targetArgs({}),
  needsTarget: true,
  async run(_a, ctx) {
    const { deps } = await ctx.target();
    const datasets = await collect((p) => deps.catalog.listDatasets(p));
    const rows = datasets.map((d) => [
      d.datasetId,
      d.highId,
      d.state ?? 'ACTIVE',
      d.createdAt,
      d.secretArn ?? '',
      d.description ?? '',
    ]);
    return {
      json: { datasets },
      text: table(['dataset', 'items', 'state', 'created', 'secret', 'description'], rows),
    };
  },
});

export const datasetsShow = defineCommand({
  words: ['datasets', 'show'],
  usage: '<datasetId>',
  summary: 'show one data set',
  positionals: ['datasetId'],
  flags: {},
  schema: targetArgs({ datasetId: Name }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const dataset = await deps.catalog.getDataset(a.datasetId);
    if (!dataset) throw new DatasetNotFoundError({ datasetId: a.datasetId });
    return { json: { dataset }, text: datasetText(dataset) };
  },
});

const datasetText = (d: Dataset) =>
  fields([
    ['dataset', d.datasetId],
    ['items', d.highId],
    ['state', d.state ?? 'ACTIVE'],
    ['created', d.createdAt],
    ['last accepted', d.lastAcceptedAt],
    ['description', d.description],
    ['secret', d.secretArn],
    ['exceptions of', d.exceptionsOf],
  ]);
