import { exceptionsDatasetOf, sourceFor } from '../catalog/sources.ts';
import { pad } from '../contracts/tables.ts';
import type { Deps } from '../deps.ts';
import { ItemLoadError } from '../errors.ts';
import { getJob } from '../jobs/jobs.ts';
import type { Item, ItemException } from '../model.ts';
import type { NewEntry, Source } from '../ports/index.ts';
import { pagesOf, type Selection, selectionOf } from './exceptions.ts';
import { addOutcome, now, type ReviewReport } from './review.ts';

/** What a requeue did, beside the review report: the data set the items were fed into. */
export interface RequeueReport extends ReviewReport {
  readonly datasetId: string;
  /** Items this call fed into the data set (at most one per item until it is set aside again). */
  readonly requeued: number;
}

/** Items per registration: one transaction, so consecutive ids in entry order. */
const REGISTER_PAGE = 49;

/**
 * Feed open exceptions back: each excepted item becomes one item of the data set `<jobId>.exceptions` pointing at
 * the original, so any job over that data set processes it incrementally. An item is fed once per time it was
 * set aside: its registration is named by the item and its requeue count, so a re-run after a crash, or a
 * concurrent requeue, finds the item already registered and records that id instead of feeding it again.
 * Named exceptions are checked (exist, OPEN) before anything is written; a requeue of nothing creates nothing.
 */
export async function requeueExceptions(
  deps: Deps,
  jobId: unknown,
  selection: Selection = { all: true },
): Promise<RequeueReport> {
  const job = await getJob(deps, jobId);
  const datasetId = exceptionsDatasetOf(job.jobId);
  const picked = await selectionOf(deps, job.jobId, selection);
  const at = now(deps);
  const report = {
    datasetId,
    requeued: 0,
    reviewed: 0,
    byKind: {} as Record<string, number>,
    alreadyReviewed: 0,
  };
  let source: Source | undefined;
  for await (const page of pagesOf(picked, REGISTER_PAGE)) {
    if (!source) {
      // Only once there is something to feed: a requeue of nothing leaves no empty data set behind.
      await deps.catalog.createDataset(
        { datasetId, description: `requeued exceptions of job ${job.jobId}`, exceptionsOf: job.jobId },
        at,
      );
      source = await sourceFor(deps, job.datasetId);
    }
    const originals = await originalsOf(source, page);
    const entries = page.map((x) => entryFor(source?.datasetId as string, x, originals.get(x.itemId)));
    const ids = await registerEntries(deps, datasetId, entries, at);
    await deps.faults('requeue.afterRegister');
    const decisions = await Promise.all(
      page.map(async (x) => {
        const id = ids.get(markerOf(x)) ?? (await deps.catalog.findLocation(datasetId, markerOf(x)));
        if (id === undefined)
          throw new ItemLoadError({ datasetId, id: x.itemId, reason: 'requeued entry not found' });
        return { exceptionId: x.exceptionId, to: 'REQUEUED' as const, requeuedAs: { datasetId, id } };
      }),
    );
    const out = await deps.exceptions.decide(job.jobId, decisions, at);
    addOutcome(report, out, page);
    report.requeued += out.moved.length;
  }
  return report;
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

/** The registration of one feeding of an item: the item, and how many times it was fed before. */
const markerOf = (x: ItemException) => `exception:${x.jobId}/${pad(x.itemId)}#${x.requeues}`;

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
