import type { Deps } from './deps.ts';
import type { ProcessBatchEvent } from './events.ts';
import { listItems } from './load-batch.ts';
import type { Dataset, Item } from './model.ts';
import { sourceOfDataset } from './sources.ts';

/**
 * What ProcessBatch reads before it knows the batch is its own: what a container remembers of jobs and data
 * sets, and the reads that can go out beside the lease request. Per container (a Lambda) or process (the local
 * mode), keyed by the store instance so that separate stores never share what they learnt.
 */

/** What a container (a Lambda, the local mode's process) learnt of a job from one of its batches. */
export interface JobHint {
  readonly datasetId: string;
  readonly leaseSeconds: number;
}

const hints = new WeakMap<Deps['inventory'], Map<string, JobHint>>();

export function hintsOf(deps: Deps): Map<string, JobHint> {
  const known = hints.get(deps.inventory);
  if (known) return known;
  const map = new Map<string, JobHint>();
  hints.set(deps.inventory, map);
  return map;
}

const datasets = new WeakMap<Deps['catalog'], Map<string, Dataset>>();
/** Data sets a container remembers; more are read again rather than held. */
const DATASETS_HELD = 256;

/**
 * A data set as the catalog has it. Nothing of a data set record that a batch uses changes once it is created
 * (only its high id grows, which processing does not read), so a container reads each one once.
 */
export async function datasetOf(deps: Deps, datasetId: string): Promise<Dataset | undefined> {
  let held = datasets.get(deps.catalog);
  if (!held) {
    held = new Map();
    datasets.set(deps.catalog, held);
  }
  const known = held.get(datasetId);
  if (known) return known;
  const dataset = await deps.catalog.getDataset(datasetId);
  if (dataset) {
    if (held.size >= DATASETS_HELD) held.clear();
    held.set(datasetId, dataset);
  }
  return dataset;
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export async function unwrap<T>(p: Promise<Settled<T>>): Promise<T> {
  const s = await p;
  if (!s.ok) throw s.error;
  return s.value;
}

/** The data set and the catalog's items of the range, read while the lease is being taken. */
export interface EarlyReads {
  readonly datasetId: string;
  readonly range: ProcessBatchEvent['batch'];
  readonly dataset: Promise<Settled<Dataset | undefined>>;
  readonly items: Promise<Settled<Item[]>>;
}

export function earlyReads(deps: Deps, datasetId: string, range: ProcessBatchEvent['batch']): EarlyReads {
  return {
    datasetId,
    range,
    dataset: settle(datasetOf(deps, datasetId)),
    items: settle(listItems(sourceOfDataset(deps, { datasetId }), range)),
  };
}
