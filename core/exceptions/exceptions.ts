import { exceptionsDatasetOf, sourceFor } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { ExceptionNotFoundError, ItemLoadError, ValidationError } from '../errors.ts';
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

/** What a requeue did: items fed back, the exceptions that closed with them, and those another review took. */
export interface RequeueReport {
  readonly datasetId: string;
  /** Items this call fed back (one per item, however many open exceptions it had). */
  readonly requeued: number;
  /** Open exceptions moved to REQUEUED (an item excepted by several runs has several). */
  readonly exceptions: number;
  /** Exceptions a concurrent requeue or resolve moved first: reported, not an error. */
  readonly alreadyReviewed: number;
}

/** Items per registration: one transaction, so consecutive ids in entry order. */
const REGISTER_PAGE = 49;

/**
 * Feed open exceptions back: each excepted item becomes one item of the data set `<jobId>.exceptions` pointing at
 * the original, so any job over that data set processes it incrementally. An item with several open exceptions
 * (excepted by several runs) is fed back once, and all of them close with it. With `only`, the items of the
 * named exceptions are fed back; every name must be an open exception, checked before anything is written.
 * Safe to re-run after a crash: an item's marker location registers once (the marker is its smallest open
 * exception, which closes last), and the id it got is looked up again.
 */
export async function requeueExceptions(
  deps: Deps,
  jobId: unknown,
  only?: readonly string[],
): Promise<RequeueReport> {
  const job = await getJob(deps, jobId);
  const datasetId = exceptionsDatasetOf(job.jobId);
  const at = new Date(deps.clock.now()).toISOString();
  const items = only === undefined ? undefined : await itemsOfNamed(deps, job.jobId, only);
  const report = { datasetId, requeued: 0, exceptions: 0, alreadyReviewed: 0 };
  let source: Source | undefined;
  let created = false;
  const feed = async (groups: ItemException[][]) => {
    if (groups.length === 0) return;
    if (!created) {
      // Only once there is something to feed: a requeue of nothing leaves no empty data set behind.
      await deps.catalog.createDataset(
        { datasetId, description: `requeued exceptions of job ${job.jobId}`, exceptionsOf: job.jobId },
        at,
      );
      source = await sourceFor(deps, job.datasetId);
      created = true;
    }
    const done = await requeueGroups(deps, source as Source, datasetId, groups, at);
    report.requeued += done.fed;
    report.exceptions += done.moved;
    report.alreadyReviewed += done.taken;
  };
  // Exceptions come in item order; an item's group is complete once a later item shows up (or the list ends).
  const pending: ItemException[][] = [];
  let next: string | undefined;
  do {
    const page = await deps.exceptions.list(job.jobId, 'OPEN', { limit: 100, next });
    for (const x of page.items) {
      if (items && !items.has(x.itemId)) continue;
      const last = pending.at(-1);
      if (last && last[0]?.itemId === x.itemId) last.push(x);
      else pending.push([x]);
    }
    next = page.next;
    // The last group may go on in the next page; the others are complete.
    let complete = next ? pending.length - 1 : pending.length;
    while (complete >= REGISTER_PAGE || (!next && complete > 0)) {
      const n = Math.min(REGISTER_PAGE, complete);
      await feed(pending.splice(0, n));
      complete -= n;
    }
  } while (next);
  return report;
}

/** The items of the named exceptions, which must exist and be OPEN: nothing is written otherwise. */
async function itemsOfNamed(deps: Deps, jobId: string, only: readonly string[]): Promise<Set<number>> {
  const items = new Set<number>();
  for (const raw of only) {
    const id = parse(Text(200), raw, 'id');
    const x = await deps.exceptions.get(jobId, id);
    if (!x) throw new ExceptionNotFoundError({ jobId, exceptionId: id });
    if (x.status !== 'OPEN')
      throw new ValidationError(
        [{ field: 'id', rule: `must name an OPEN exception (${id} is ${x.status})` }],
        {
          what: 'requeue',
        },
      );
    items.add(x.itemId);
  }
  return items;
}

/**
 * One registration for up to 49 items, then their exceptions closed: the item's other exceptions first and its
 * marker exception last, so that a crash in between leaves the same marker for the re-run.
 */
async function requeueGroups(
  deps: Deps,
  source: Source,
  datasetId: string,
  groups: readonly ItemException[][],
  at: string,
): Promise<{ fed: number; moved: number; taken: number }> {
  const markers = groups.map((g) => [...g].sort((a, b) => a.exceptionId.localeCompare(b.exceptionId)));
  const originals = await originalsOf(
    source,
    markers.map((g) => g[0] as ItemException),
  );
  const entries = markers.map((g) =>
    entryFor(source.datasetId, g[0] as ItemException, originals.get(g[0]?.itemId ?? 0)),
  );
  const ids = await registerEntries(deps, datasetId, entries, at);
  await deps.faults('requeue.afterRegister');
  let fed = 0;
  let moved = 0;
  let taken = 0;
  await Promise.all(
    markers.map(async (group) => {
      const marker = group[0] as ItemException;
      const id = ids.get(markerOf(marker)) ?? (await deps.catalog.findLocation(datasetId, markerOf(marker)));
      if (id === undefined)
        throw new ItemLoadError({ datasetId, id: marker.itemId, reason: 'requeued entry not found' });
      for (const x of [...group.slice(1), marker]) {
        try {
          await deps.exceptions.markRequeued(x.jobId, x.exceptionId, { datasetId, id }, at);
          moved++;
          // Whoever closes the marker fed the item: concurrent calls' counts add up to the items fed.
          if (x === marker) fed++;
        } catch (error) {
          // Another review moved it first (a concurrent requeue, or a resolve): its decision stands.
          if (!(error instanceof ValidationError)) throw error;
          taken++;
        }
      }
    }),
  );
  return { fed, moved, taken };
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
