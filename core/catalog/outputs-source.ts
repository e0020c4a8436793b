import { locationOf, outputKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import type { Batch, Item } from '../model.ts';
import type { Source } from '../ports/index.ts';
import { itemIds } from './catalog-source.ts';

const INVENTORY = { kind: 'inventory' } as const;

/**
 * The `Source` of a job's outputs (data set `<jobId>.outputs`): one item per id of the job's inventory
 * batches, found in its batch's output object by its `id` (format `output`). An id the job set aside has no
 * line there: the consumer's loader passes it by. Only SUCCEEDED batches have an output to read; the others'
 * items are listed not READY. Readiness as a dependency (leases, reservations, the lock) is the gate's
 * business: core/jobs/dependencies.ts.
 */
export class OutputsSource implements Source {
  readonly datasetId: string;
  readonly #deps: Pick<Deps, 'batches' | 'buckets' | 'jobs'>;
  /** The job whose outputs these are. */
  readonly producer: string;

  constructor(deps: Pick<Deps, 'batches' | 'buckets' | 'jobs'>, datasetId: string, producer: string) {
    this.#deps = deps;
    this.datasetId = datasetId;
    this.producer = producer;
  }

  /** The last id of the producer's inventory: its watermark less one (0 once the producer is gone). */
  async highId(): Promise<number> {
    const job = await this.#deps.jobs.getJob(this.producer);
    return job ? job.watermark - 1 : 0;
  }

  async *items(start: number, end: number, stride = 1): AsyncIterable<Item> {
    if (!Number.isSafeInteger(stride) || stride < 1) {
      throw new ValidationError([{ field: 'stride', rule: 'must be an integer >= 1' }]);
    }
    const batches: Batch[] = [];
    for await (const b of producerBatches(this.#deps, this.producer, start, end)) batches.push(b);
    yield* this.itemsOf(batches, start, end, stride);
  }

  /** The items of [start, end] in the producer's batches given, read already (the gate reads them too). */
  *itemsOf(batches: readonly Batch[], start: number, end: number, stride = 1): Generator<Item> {
    for (const b of batches) {
      const location = locationOf(this.#deps.buckets.work, outputKeyOf(this.producer, INVENTORY, b));
      const ready = b.status === 'SUCCEEDED';
      for (const id of itemIds({ start: b.start, count: b.end - b.start + 1 }, start, end, stride)) {
        yield { datasetId: this.datasetId, id, location, weight: 1, ready, format: 'output' };
      }
    }
  }
}

/** A producer's inventory batches that overlap [start, end], in id order. */
export async function* producerBatches(
  deps: Pick<Deps, 'batches'>,
  producer: string,
  start: number,
  end: number,
): AsyncGenerator<Batch> {
  if (start > end) return;
  const first = await deps.batches.batchContaining(producer, start);
  for await (const b of deps.batches.list(producer, INVENTORY, first?.start ?? start, end)) {
    if (b.end < start) continue;
    if (b.start > end) return;
    yield b;
  }
}
