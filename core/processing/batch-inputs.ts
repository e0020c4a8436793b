import { sourceOfDataset } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import type { ProcessBatchEvent } from '../events.ts';
import type { Dataset, Item, ItemLocation, Job } from '../model.ts';
import { itemsOfManifest } from '../planning/manifest-entries.ts';
import { listItems } from './load-batch.ts';

/**
 * What ProcessBatch reads before it knows the batch is its own: what a container remembers of jobs and data
 * sets, and the reads that can go out beside the lease request. Per container (a Lambda) or process (the local
 * mode), keyed by the store instance so that separate stores never share what they learnt.
 */

/** One map per store instance, for what a container learnt through that store. */
function perStore<V>(): (store: object) => Map<string, V> {
  const maps = new WeakMap<object, Map<string, V>>();
  return (store) => {
    const known = maps.get(store);
    if (known) return known;
    const map = new Map<string, V>();
    maps.set(store, map);
    return map;
  };
}

/**
 * How long a container works from a job record it read, within one run: a config update reaches running
 * workers, and a job marked for deletion stops them, within this long; a new run reads the job at its first
 * batch in each container. @default 10 s
 */
export const JOB_FRESH_MS = 10_000;
/** Jobs a container remembers; more are read again rather than held. */
const JOBS_HELD = 256;

/** A job as a container (a Lambda, the local mode's process) last read it, for which run, and when. */
export interface KnownJob {
  readonly job: Job;
  readonly runId: string;
  readonly readAt: number;
}

const knownJobs = perStore<KnownJob>();

/** The job as this container last read it, if it did. */
export const knownJob = (deps: Deps, jobId: string): KnownJob | undefined => knownJobs(deps.jobs).get(jobId);

/** Whether a batch of `runId` may work from what the container knows, without reading the job again. */
export const isFresh = (deps: Deps, known: KnownJob, runId: string): boolean =>
  known.runId === runId && deps.clock.now() - known.readAt < JOB_FRESH_MS;

export function rememberJob(deps: Deps, job: Job, runId: string, readAt: number): void {
  const held = knownJobs(deps.jobs);
  if (held.size >= JOBS_HELD && !held.has(job.jobId)) held.clear();
  held.set(job.jobId, { job, runId, readAt });
}

const heldDatasets = perStore<Dataset>();
/** Data sets a container remembers; more are read again rather than held. */
const DATASETS_HELD = 256;

/**
 * A data set as the catalog has it. Nothing of a data set record that a batch uses changes once it is created
 * (only its high id grows, which processing does not read), so a container reads each one once.
 */
export async function datasetOf(deps: Deps, datasetId: string): Promise<Dataset | undefined> {
  const held = heldDatasets(deps.catalog);
  const known = held.get(datasetId);
  if (known) return known;
  const dataset = await deps.catalog.getDataset(datasetId);
  if (dataset) {
    if (held.size >= DATASETS_HELD) held.clear();
    held.set(datasetId, dataset);
  }
  return dataset;
}

/** A promise awaited later, or never (the batch was not ours): its rejection is not an unhandled one meanwhile. */
function later<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** The data set and the catalog's items of the range, read while the lease is being taken. */
export interface EarlyReads {
  readonly datasetId: string;
  readonly range: ProcessBatchEvent['batch'];
  readonly dataset: Promise<Dataset | undefined>;
  /** Absent when the manifest item carries its entries. */
  readonly items: Promise<Item[]> | undefined;
}

export function earlyReads(deps: Deps, datasetId: string, range: ProcessBatchEvent['batch']): EarlyReads {
  return {
    datasetId,
    range,
    dataset: later(datasetOf(deps, datasetId)),
    // A manifest item with its entries needs no catalog read at all.
    items: range.entries ? undefined : later(listItems(sourceOfDataset(deps, { datasetId }), range)),
  };
}

/**
 * The items of the batch leased, when known without asking the catalog again: from the manifest's entries or
 * the early read, used only if the batch leased is still exactly the manifest's range (it may have been split
 * since the manifest was written).
 */
export async function knownItems(
  range: ProcessBatchEvent['batch'],
  leased: { end: number; stride: number },
  early: EarlyReads | undefined,
): Promise<readonly ItemLocation[] | undefined> {
  if (range.end !== leased.end || range.stride !== leased.stride) return undefined;
  return itemsOfManifest(range) ?? (await early?.items);
}
