import type { Batching } from '../model.ts';
import type { NewBatch } from '../ports/index.ts';

/** What a planner needs to know of each item when batching by weight. */
export interface Weighed {
  readonly id: number;
  readonly weight: number;
}

/** Consecutive ranges of `size` ids over [from, to], the last one possibly shorter. */
export function* cutByCount(from: number, to: number, size: number): Generator<NewBatch> {
  for (let start = from; start <= to; start += size) {
    const end = Math.min(to, start + size - 1);
    const count = end - start + 1;
    yield { start, end, stride: 1, count, weight: count };
  }
}

/**
 * Ranges whose cumulative weight stays within `target`; an item heavier than the target forms a batch alone.
 * Items must come in id order without gaps (the catalog hands out consecutive ids).
 */
export async function* cutByWeight(
  items: AsyncIterable<Weighed>,
  target: number,
  maxItems = 100_000,
): AsyncGenerator<NewBatch> {
  let open: { start: number; end: number; count: number; weight: number } | undefined;
  for await (const item of items) {
    const fits = open && open.weight + item.weight <= target && open.count < maxItems;
    if (open && !fits) {
      yield { ...open, stride: 1 };
      open = undefined;
    }
    if (!open) open = { start: item.id, end: item.id, count: 1, weight: item.weight };
    else {
      open.end = item.id;
      open.count += 1;
      open.weight += item.weight;
    }
  }
  if (open) yield { ...open, stride: 1 };
}

/** Batches over [from, to] by the job's policy; weights come from the source only when needed. */
export function cut(
  batching: Batching,
  from: number,
  to: number,
  weighed: (from: number, to: number) => AsyncIterable<Weighed>,
): AsyncIterable<NewBatch> | Iterable<NewBatch> {
  if (batching.by === 'count') return cutByCount(from, to, batching.size);
  return cutByWeight(weighed(from, to), batching.target, batching.maxItems);
}
