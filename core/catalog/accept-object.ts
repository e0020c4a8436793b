import { z } from 'zod';
import { sha256 } from '../checksum.ts';
import { parseLocation } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import { acceptedRanges, backfillRanges, isStale } from '../jobs/stale.ts';
import type { EntryDescriptor } from '../model.ts';
import type { AcceptedContent } from '../ports/index.ts';
import { Name, parse } from '../validation.ts';
import { type ContentFacts, contentDiffers, entryAtLocation } from './content-changes.ts';
import { jobsReading, readableDataset } from './delete-dataset.ts';
import { BAD_LINES_SHOWN, inspectJsonLines } from './json-lines.ts';

const AcceptInput = z.strictObject({
  datasetId: Name,
  location: z.string({ error: 'must be a string' }).regex(/^s3:\/\/[^/]+\/.+$/, {
    error: 'must be s3://bucket/key',
  }),
});

/** One job's batches over the accepted entry that completed before the acceptance, and the runs that redo them. */
export interface StaleBatches {
  readonly jobId: string;
  readonly batches: number;
  /** `run <jobId> --from start --to end` per range redoes them. */
  readonly backfills: { start: number; end: number }[];
}

export interface AcceptReport {
  readonly datasetId: string;
  readonly location: string;
  readonly ids: { readonly start: number; readonly end: number };
  /** False when the object already holds what its entry records: nothing was written. */
  readonly accepted: boolean;
  readonly previous: ContentFacts;
  readonly current: ContentFacts;
  readonly acceptedAt?: string;
  /** Whether `body` was uploaded to the location first. */
  readonly uploaded: boolean;
  readonly stale: StaleBatches[];
}

/**
 * Accept the object now at a registered location as its entry's content: its size, checksum and weights are
 * recorded with `acceptedAt`, after which the batches over the entry that completed before are stale (listed
 * by `batches --stale`, redone by a backfill over them). The ids cannot move, so a JSON Lines object must hold
 * as many lines as were registered, each one JSON object. With `body` (a corrected local file) the object is
 * uploaded first, which only the data bucket's own objects allow. Every check comes before any write.
 * @example await acceptObject(deps, { datasetId: 'registry', location: 's3://data/datasets/registry/a.jsonl' })
 */
export async function acceptObject(
  deps: Deps,
  raw: { datasetId: unknown; location: unknown },
  body?: Uint8Array,
): Promise<AcceptReport> {
  const input = parse(AcceptInput, raw, 'datasets accept');
  await readableDataset(deps, input.datasetId);
  const entry = await entryAtLocation(deps, input.datasetId, input.location);
  if (!entry) throw invalid(`must be a location registered in data set ${input.datasetId}`);
  const where = parseLocation(input.location) as { bucket: string; key: string };
  if (body && where.bucket !== deps.buckets.data)
    throw invalid(`must be in the data bucket ${deps.buckets.data} to replace it from a file`);
  const content = await contentOf(deps, entry, where, body);
  const previous = facts(entry);
  const current = facts(content);
  // A file put in place of an object registered without a checksum may differ at the same size: accept it.
  const changed = contentDiffers(entry, content) || (body !== undefined && entry.checksum === undefined);
  if (body) await deps.objects.put(where.bucket, where.key, body, contentType(entry));
  const at = new Date(deps.clock.now()).toISOString();
  if (changed) await deps.catalog.acceptEntry(input.datasetId, entry.start, content, at);
  const ids = { start: entry.start, end: entry.start + entry.count - 1 };
  return {
    datasetId: input.datasetId,
    location: input.location,
    ids,
    accepted: changed,
    previous,
    current,
    acceptedAt: changed ? at : undefined,
    uploaded: body !== undefined,
    stale: await staleOver(deps, input.datasetId, ids),
  };
}

const invalid = (rule: string) =>
  new ValidationError([{ field: 'location', rule }], { what: 'datasets accept' });

const facts = (e: ContentFacts): ContentFacts =>
  e.checksum === undefined ? { size: e.size } : { size: e.size, checksum: e.checksum };

const contentType = (entry: EntryDescriptor) =>
  entry.format === 'jsonl' ? 'application/x-ndjson' : 'application/octet-stream';

/** What the location holds (or `body`, about to be put there), checked against the entry's ids. */
async function contentOf(
  deps: Deps,
  entry: EntryDescriptor,
  where: { bucket: string; key: string },
  body: Uint8Array | undefined,
): Promise<AcceptedContent> {
  if (entry.format === 'object') {
    const size = body?.byteLength ?? (await deps.objects.head(where.bucket, where.key))?.size;
    if (!size) throw invalid(`must name an object that exists and is not empty (${entry.location})`);
    return body ? { size, checksum: sha256(body), weights: size } : { size, weights: size };
  }
  const bytes = body ?? (await deps.objects.get(where.bucket, where.key));
  if (!bytes) throw invalid(`must name an object that exists (${entry.location} is gone)`);
  const { weights, problems } = inspectJsonLines(bytes, entry.location);
  if (problems.length > 0)
    throw new ValidationError(problems.slice(0, BAD_LINES_SHOWN), {
      what: 'accepted object (every line must be one JSON object)',
    });
  if (weights.length !== entry.count)
    throw invalid(
      `must hold ${entry.count} lines, as registered (holds ${weights.length}): ids cannot move; register the new content under another name`,
    );
  return { size: bytes.byteLength, checksum: sha256(bytes), weights };
}

/** Per job reading the data set: its stale batches over the ids, and the backfills that redo them. */
async function staleOver(
  deps: Deps,
  datasetId: string,
  ids: { start: number; end: number },
): Promise<StaleBatches[]> {
  const out: StaleBatches[] = [];
  for (const jobId of await jobsReading(deps, datasetId)) {
    const job = await deps.jobs.getJob(jobId);
    if (!job) continue;
    const ranges = (await acceptedRanges(deps, job)).filter((r) => r.start === ids.start);
    const stale = [];
    for await (const b of deps.batches.list(jobId, { kind: 'inventory' })) {
      if (b.end >= ids.start && b.start <= ids.end && isStale(b, ranges)) stale.push(b);
    }
    out.push({ jobId, batches: stale.length, backfills: backfillRanges(stale) });
  }
  return out;
}
