import { exceptionsDatasetOf, sourceFor } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { ItemLoadError, ValidationError } from '../errors.ts';
import { getJob } from '../jobs/jobs.ts';
import type { ExceptionStatus, Item, ItemException } from '../model.ts';
import type { NewEntry, Page, PageRequest, Source } from '../ports/index.ts';
import { parse, Text } from '../validation.ts';

const STATUSES: readonly ExceptionStatus[] = ['OPEN', 'RESOLVED', 'REQUEUED'];

function statusOf(raw: unknown): ExceptionStatus | undefined {
  if (raw === undefined) return undefined;
  if (!STATUSES.includes(raw as ExceptionStatus)) {
    throw new ValidationError([{ field: 'status', rule: `must be one of ${STATUSES.join(', ')}` }]);
  }
  return raw as ExceptionStatus;
}

export async function listExceptions(
  deps: Deps,
  jobId: unknown,
  status?: unknown,
  page?: PageRequest,
): Promise<Page<ItemException>> {
  const job = await getJob(deps, jobId);
  return deps.exceptions.list(job.jobId, statusOf(status), page);
}

/** Close an exception after review, with a note saying what was decided. */
export async function resolveException(
  deps: Deps,
  jobId: unknown,
  exceptionId: unknown,
  note: unknown,
): Promise<ItemException> {
  const job = await getJob(deps, jobId);
  const id = parse(Text(200), exceptionId, 'exceptionId');
  const text = parse(Text(2000), note, 'note');
  return deps.exceptions.resolve(job.jobId, id, text, new Date(deps.clock.now()).toISOString());
}

/**
 * Feed open exceptions back: each becomes an item of the data set `<jobId>.exceptions` pointing at the original
 * item, so any job over that data set processes them incrementally. Safe to re-run after a crash: an
 * exception's marker location registers once, and the id it got is looked up again.
 */
export async function requeueExceptions(
  deps: Deps,
  jobId: unknown,
  only?: readonly string[],
): Promise<{ requeued: number; datasetId: string }> {
  const job = await getJob(deps, jobId);
  const datasetId = exceptionsDatasetOf(job.jobId);
  const at = new Date(deps.clock.now()).toISOString();
  await deps.catalog.createDataset(
    { datasetId, description: `requeued exceptions of job ${job.jobId}`, exceptionsOf: job.jobId },
    at,
  );
  const source = await sourceFor(deps, job.datasetId);
  let requeued = 0;
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list(job.jobId, 'OPEN', { limit: 49, next });
    const picked = page.items.filter((x) => !only || only.includes(x.exceptionId));
    const originals = await originalsOf(source, picked);
    const entries: NewEntry[] = picked.map((x) => entryFor(source.datasetId, x, originals.get(x.itemId)));
    const ids = await registerEntries(deps, datasetId, entries, at);
    await deps.faults('requeue.afterRegister');
    await Promise.all(
      picked.map(async (x) => {
        const id = ids.get(markerOf(x)) ?? (await deps.catalog.findLocation(datasetId, markerOf(x)));
        if (id === undefined)
          throw new ItemLoadError({ datasetId, id: x.itemId, reason: 'requeued entry not found' });
        await deps.exceptions.markRequeued(job.jobId, x.exceptionId, { datasetId, id }, at);
      }),
    );
    requeued += picked.length;
    next = page.next;
  } while (next);
  return { requeued, datasetId };
}

/**
 * Register one page (at most 49 entries: one transaction, so consecutive ids in entry order) and map each new
 * location to its id. Locations an earlier, crashed call registered are absent: the caller looks them up.
 */
async function registerEntries(deps: Deps, datasetId: string, entries: NewEntry[], at: string) {
  const ids = new Map<string, number>();
  if (entries.length === 0) return ids;
  const out = await deps.catalog.register(datasetId, entries, at);
  let id = out.firstId;
  for (const e of entries) {
    if (out.skippedLocations.includes(e.location) || id === undefined) continue;
    ids.set(e.location, id);
    id += e.count;
  }
  return ids;
}

const markerOf = (x: ItemException) => `exception:${x.jobId}/${x.exceptionId}`;

/** Ids of one page further apart than this are read as separate ranges: a range lists every id in it. */
const ORIGINALS_GAP = 1_000;

/**
 * The original items of a page of exceptions. Exceptions come in item id order and cluster, and each catalog
 * entry holds many items (with a weight each): the page's ids are read as a few ranges, so an entry is read
 * once per page rather than once per exception.
 */
async function originalsOf(source: Source, picked: readonly ItemException[]): Promise<Map<number, Item>> {
  const ids = [...new Set(picked.map((x) => x.itemId))].sort((a, b) => a - b);
  const wanted = new Set(ids);
  const found = new Map<number, Item>();
  for (let first = 0; first < ids.length; ) {
    let last = first;
    while (last + 1 < ids.length && (ids[last + 1] as number) - (ids[last] as number) <= ORIGINALS_GAP)
      last++;
    for await (const item of source.items(ids[first] as number, ids[last] as number))
      if (wanted.has(item.id)) found.set(item.id, item);
    first = last + 1;
  }
  return found;
}

function entryFor(datasetId: string, x: ItemException, original: Item | undefined): NewEntry {
  if (!original)
    throw new ItemLoadError({ datasetId, id: x.itemId, reason: 'original item is not in the catalog' });
  return {
    count: 1,
    location: markerOf(x),
    format: 'object',
    weights: original.weight,
    ref: { datasetId, id: x.itemId },
  };
}
