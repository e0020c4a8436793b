import { createHash } from 'node:crypto';
import { OutputsSource, producerBatches } from '../catalog/outputs-source.ts';
import { outputsProducerOf } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import type { Batch, Item, Job, ProducerBatchRef } from '../model.ts';
import type { Source } from '../ports/index.ts';
import { liveRuns } from '../runs/live-runs.ts';

/**
 * Jobs that depend on jobs, over the same ids. A consumer's producers are the job whose outputs it reads (data
 * set `<P>.outputs`) and the jobs its `dependsOn` names. For each producer:
 * - READY: an id is ready when the producer batch that holds it is SUCCEEDED, under no live lease, not being
 *   split, and not reserved by a live run (a backfill about to redo it). Plans take only ready ranges (new ones
 *   up to the READY frontier); a worker checks again as it loads the batch.
 * - the READY lock: the worker then locks the producer batches it read (their `readers`), and the producer takes
 *   no lease on a locked batch and splits none, until the consumer's commit releases it or its lease lapses.
 * - stale: a consumer batch keeps a digest of the producer batches it read (`consumed`); when a producer batch
 *   over its range is redone (new token), the digest differs and the batch is stale: listed by
 *   `batches --stale`, and reopened by the consumer's next incremental plan.
 * Ids map one to one (the same id space). Another mapping (an offset, a range table) would be a field of the
 * dependency turning a consumer range into the producer ranges it reads, used by the gate and the digest alike.
 */

export interface Producer {
  readonly jobId: string;
  /** Start the consumer's incremental run when this producer commits (core/runs/triggers.ts). */
  readonly trigger: boolean;
}

/** The producers of a job: the one whose outputs it reads, and those it names; each once. */
export function producersOf(job: Pick<Job, 'datasetId' | 'dependsOn'>): Producer[] {
  const out = new Map<string, Producer>();
  const fromOutputs = outputsProducerOf(job.datasetId);
  if (fromOutputs) out.set(fromOutputs, { jobId: fromOutputs, trigger: false });
  for (const d of job.dependsOn ?? []) out.set(d.jobId, { jobId: d.jobId, trigger: d.trigger });
  return [...out.values()];
}

/** The jobs that depend on `jobId` (read its outputs, or name it), with their dependency on it. */
export async function dependentsOf(
  deps: Pick<Deps, 'jobs'>,
  jobId: string,
): Promise<{ job: Job; dependency: Producer }[]> {
  const out: { job: Job; dependency: Producer }[] = [];
  for (let page = await deps.jobs.listJobs({ limit: 100 }); ; ) {
    for (const job of page.items) {
      const dependency = producersOf(job).find((p) => p.jobId === jobId);
      if (dependency && job.state === 'ACTIVE') out.push({ job, dependency });
    }
    if (!page.next) return out;
    page = await deps.jobs.listJobs({ limit: 100, next: page.next });
  }
}

/** Whether a producer batch can be read by a consumer now (`live`: whether a run still executes). */
export async function isReady(
  b: Batch,
  now: number,
  live: (jobId: string, runId: string) => Promise<boolean>,
): Promise<boolean> {
  if (b.status !== 'SUCCEEDED' || b.moveFrom !== undefined) return false;
  if (b.leaseExpiresAt !== undefined && b.leaseExpiresAt >= now) return false;
  const reserved = b.reservedBy !== undefined && (b.reservedUntil ?? 0) >= now;
  return !(reserved && (await live(b.jobId, b.reservedBy as string)));
}

export const refOf = (b: Batch): ProducerBatchRef => ({
  jobId: b.jobId,
  start: b.start,
  end: b.end,
  token: b.token,
  completedAt: b.completedAt ?? '',
  ...(b.reservedBy === undefined ? {} : { reservedBy: b.reservedBy }),
});

/**
 * What a consumer batch consumed, as one digest: the producer batches over its range by job, token and commit
 * instant (not by range: the parts of a producer batch split at a backfill's bound keep its token and instant,
 * so a split alone leaves its consumers fresh; a part redone has a new token).
 */
export function consumedDigest(refs: readonly ProducerBatchRef[]): string {
  const distinct = new Set(refs.map((r) => `${r.jobId}#${r.token}#${r.completedAt}`));
  return `sha256:${createHash('sha256')
    .update([...distinct].sort().join('\n'))
    .digest('hex')}`;
}

/** The distinct producer batches the items of a batch were read from. */
export function refsOfItems(items: readonly Pick<Item, 'producers'>[]): ProducerBatchRef[] {
  const out = new Map<string, ProducerBatchRef>();
  for (const item of items)
    for (const r of item.producers ?? []) out.set(`${r.jobId}#${r.start}#${r.token}`, r);
  return [...out.values()];
}

/** The producer batches of each producer over [start, end]: the gate and the staleness check read them so. */
async function overlapping(
  deps: Pick<Deps, 'batches'>,
  producers: readonly string[],
  start: number,
  end: number,
) {
  const out: Batch[] = [];
  for (const p of producers) for await (const b of producerBatches(deps, p, start, end)) out.push(b);
  return out;
}

/**
 * A job's source with its producers' readiness: each item lists the producer batches that hold its id and is
 * READY only when its source says so and each of them is ready; `highId` stops at the READY frontier, the end
 * of the run of ready ids from `from` on.
 */
export class GatedSource implements Source {
  readonly datasetId: string;
  readonly #inner: Source;
  readonly #deps: Pick<Deps, 'batches' | 'clock' | 'liveness' | 'runs'>;
  readonly #producers: readonly string[];
  readonly #from: number;
  readonly #live: (jobId: string, runId: string) => Promise<boolean>;

  constructor(
    deps: Pick<Deps, 'batches' | 'clock' | 'liveness' | 'runs'>,
    inner: Source,
    producers: readonly string[],
    from = 1,
  ) {
    this.#deps = deps;
    this.#inner = inner;
    this.datasetId = inner.datasetId;
    this.#producers = producers;
    this.#from = from;
    this.#live = liveRuns(deps);
  }

  async highId(): Promise<number> {
    let high = await this.#inner.highId();
    for (const p of this.#producers) high = Math.min(high, await this.frontier(p, this.#from, high));
    return high;
  }

  /** The last id L (>= from - 1, <= ceiling) such that the producer's batches over [from, L] are all ready. */
  async frontier(producer: string, from: number, ceiling: number): Promise<number> {
    const now = this.#deps.clock.now();
    let next = from;
    for await (const b of producerBatches(this.#deps, producer, from, ceiling)) {
      if (b.start > next || !(await isReady(b, now, this.#live))) break;
      next = b.end + 1;
    }
    return Math.min(next - 1, ceiling);
  }

  /** Whether every producer batch over [start, end] is ready, and none is missing. */
  async isReadyRange(start: number, end: number): Promise<boolean> {
    for (const p of this.#producers) if ((await this.frontier(p, start, end)) < end) return false;
    return true;
  }

  async *items(start: number, end: number, stride = 1): AsyncIterable<Item> {
    const now = this.#deps.clock.now();
    const batches = await overlapping(this.#deps, this.#producers, start, end);
    const ready = new Map<Batch, boolean>();
    for (const b of batches) ready.set(b, await isReady(b, now, this.#live));
    // A producer's outputs are items of the batches just read: they are not listed a second time.
    const inner = this.#inner;
    const items =
      inner instanceof OutputsSource &&
      this.#producers.includes(inner.producer) &&
      Number.isSafeInteger(stride) &&
      stride >= 1
        ? inner.itemsOf(
            batches.filter((b) => b.jobId === inner.producer),
            start,
            end,
            stride,
          )
        : inner.items(start, end, stride);
    for await (const item of items) {
      const holding = batches.filter((b) => b.start <= item.id && item.id <= b.end);
      const all = holding.length === this.#producers.length && holding.every((b) => ready.get(b));
      yield { ...item, ready: item.ready && all, producers: holding.map(refOf) };
    }
  }
}

/** A consumer batch whose producers redid (part of) its range since it read them. */
export interface StaleBatch {
  readonly batch: Batch;
  /** The producer batches over its range now. */
  readonly now: readonly ProducerBatchRef[];
}

/** The job's SUCCEEDED batches whose producers changed under them since they were read, in id order. */
export async function* staleBatches(deps: Pick<Deps, 'batches'>, job: Job): AsyncGenerator<StaleBatch> {
  const producers = producersOf(job).map((p) => p.jobId);
  if (producers.length === 0) return;
  for await (const b of deps.batches.list(job.jobId, { kind: 'inventory' })) {
    if (b.status !== 'SUCCEEDED' || b.consumed === undefined) continue;
    const now = (await overlapping(deps, producers, b.start, b.end)).map(refOf);
    if (consumedDigest(now) !== b.consumed) yield { batch: b, now };
  }
}
