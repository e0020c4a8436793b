import { describe, expect, it } from 'vitest';
import { bucketize, findGaps, type RangeClass, SnapshotBuilder } from '../../../console/range-map.ts';

/** Ids 1..100: 1-20 done, 21-30 failed, 41-50 stale, 51-60 leased, 61-70 pending (a cut, added last); 31-40 and 71-100 never. */
function snapshot() {
  const b = new SnapshotBuilder();
  const add: [number, number, RangeClass][] = [
    [1, 10, 'done'],
    [11, 20, 'done'],
    [21, 30, 'failed'],
    [41, 50, 'stale'],
    [51, 60, 'leased'],
  ];
  for (const [s, e, c] of add) b.add(s, e, c);
  b.add(61, 70, 'pending');
  b.addSample(2, 92, 10);
  return b.build({ firstId: 1, highId: 100, takenAt: 0 });
}

describe('bucketize', () => {
  it('counts every id of the window once, in its class, never-processed ids included', () => {
    const m = bucketize(snapshot(), {}, 10);

    expect(m).toMatchObject({ from: 1, to: 100, buckets: 10, width: 10 });
    expect(m.totals).toEqual({
      done: 20,
      failed: 10,
      leased: 10,
      pending: 10,
      stale: 10,
      never: 40,
      sample: 10,
    });
    expect(m.counts.never).toEqual([0, 0, 0, 10, 0, 0, 0, 10, 10, 10]);
    expect(m.counts.sample).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('splits a batch over the buckets it spans, and a bucket over the batches it holds', () => {
    const m = bucketize(snapshot(), { from: 16, to: 35 }, 4);

    expect(m).toMatchObject({ from: 16, to: 35, buckets: 4, width: 5 });
    expect(m.counts.done).toEqual([5, 0, 0, 0]);
    expect(m.counts.failed).toEqual([0, 5, 5, 0]);
    expect(m.counts.never).toEqual([0, 0, 0, 5]);
  });

  it('never makes more buckets than ids, and clamps the window to the id space', () => {
    const m = bucketize(snapshot(), { from: 95, to: 10_000 }, 1000);

    expect(m).toMatchObject({ from: 95, to: 100, buckets: 6, width: 1 });
    expect(m.totals.never).toBe(6);
  });

  it('aggregates a million batches into a thousand buckets', () => {
    const b = new SnapshotBuilder();
    for (let i = 0; i < 1_000_000; i++) b.add(i * 10 + 1, i * 10 + 10, i % 100 === 0 ? 'failed' : 'done');
    const s = b.build({ firstId: 1, highId: 10_000_000, takenAt: 0 });

    const m = bucketize(s, {}, 1000);

    expect(m.buckets).toBe(1000);
    expect(m.totals).toMatchObject({ done: 9_900_000, failed: 100_000, never: 0 });
  });
});

describe('findGaps', () => {
  it('merges adjacent stretches that are not done, with the classes in them', () => {
    const { gaps, total } = findGaps(snapshot(), 0, 10);

    expect(total).toBe(1);
    expect(gaps).toEqual([
      { start: 21, end: 100, ids: 80, classes: ['failed', 'never', 'stale', 'leased', 'pending'] },
    ]);
  });

  it('lists the gaps from an id on, at most limit of them, and counts them all', () => {
    const b = new SnapshotBuilder();
    for (const s of [1, 21, 41, 61]) b.add(s, s + 9, 'done');
    const s = b.build({ firstId: 1, highId: 80, takenAt: 0 });

    const found = findGaps(s, 30, 1);

    expect(found.total).toBe(4);
    expect(found.gaps).toEqual([{ start: 31, end: 40, ids: 10, classes: ['never'] }]);
  });
});
