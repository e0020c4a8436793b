import { describe, expect, it } from 'vitest';
import { cutByCount, cutByWeight } from '../../../core/planning/batching.ts';

async function* weighed(ws: number[], from = 1) {
  for (let i = 0; i < ws.length; i++) yield { id: from + i, weight: ws[i] as number };
}

async function all<T>(it: AsyncIterable<T>) {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('cutByCount', () => {
  it('cuts consecutive ranges, the last one shorter', () => {
    expect([...cutByCount(5, 16, 5)].map((b) => [b.start, b.end, b.count])).toEqual([
      [5, 9, 5],
      [10, 14, 5],
      [15, 16, 2],
    ]);
  });
  it('cuts nothing from an empty range', () => {
    expect([...cutByCount(10, 9, 5)]).toEqual([]);
  });
});

describe('cutByWeight', () => {
  it('keeps each batch within the target and puts a heavier item alone', async () => {
    const out = await all(cutByWeight(weighed([3, 3, 3, 20, 4, 6, 1]), 10));
    expect(out.map((b) => [b.start, b.end, b.weight])).toEqual([
      [1, 3, 9],
      [4, 4, 20],
      [5, 6, 10],
      [7, 7, 1],
    ]);
  });
  it('caps items per batch', async () => {
    const out = await all(cutByWeight(weighed([1, 1, 1, 1, 1]), 100, 2));
    expect(out.map((b) => b.count)).toEqual([2, 2, 1]);
  });
});
