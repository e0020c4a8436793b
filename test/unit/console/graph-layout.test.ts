import { describe, expect, it } from 'vitest';
import { layered, SIZES } from '../../../console/app/graph-layout.ts';

const step = SIZES.boxWidth + SIZES.columnGap;

describe('layered', () => {
  it('puts producers left and each consumer one column right of its deepest producer', () => {
    const layout = layered(
      ['a', 'b', 'c', 'd'],
      [
        { from: 'a', to: 'b' },
        { from: 'a', to: 'd' },
        { from: 'b', to: 'c' },
        { from: 'a', to: 'c' },
      ],
    );

    expect(layout.boxes.map((b) => [b.id, b.column, b.x])).toEqual([
      ['a', 0, 0],
      ['b', 1, step],
      ['c', 2, 2 * step],
      ['d', 1, step],
    ]);
    expect(layout.width).toBe(3 * SIZES.boxWidth + 2 * SIZES.columnGap);
    expect(layout.height).toBe(2 * SIZES.boxHeight + SIZES.rowGap);
  });

  it('draws each edge from the right side of the producer to the left side of the consumer', () => {
    const layout = layered(['a', 'b'], [{ from: 'a', to: 'b' }]);
    const [edge] = layout.edges;

    expect(edge?.path).toMatch(
      new RegExp(`^M ${SIZES.boxWidth} ${SIZES.boxHeight / 2} C .* ${step} ${SIZES.boxHeight / 2}$`),
    );
    expect(edge?.mid).toEqual({ x: (SIZES.boxWidth + step) / 2, y: SIZES.boxHeight / 2 });
  });

  it('orders a column by the rows of its producers, which keeps edges from crossing', () => {
    // x feeds q, y feeds p: p goes below q although the API lists it first.
    const layout = layered(
      ['x', 'y', 'p', 'q'],
      [
        { from: 'y', to: 'p' },
        { from: 'x', to: 'q' },
      ],
    );
    const row = Object.fromEntries(layout.boxes.map((b) => [b.id, b.row]));

    expect(row).toEqual({ x: 0, y: 1, q: 0, p: 1 });
  });

  it('centres a shorter column on the tallest, and ends on a cycle instead of looping', () => {
    const layout = layered(
      ['a', 'b', 'c'],
      [
        { from: 'a', to: 'c' },
        { from: 'b', to: 'c' },
      ],
    );
    const c = layout.boxes.find((b) => b.id === 'c');
    expect(c?.y).toBe((SIZES.boxHeight + SIZES.rowGap) / 2);

    const cycle = layered(
      ['p', 'q'],
      [
        { from: 'p', to: 'q' },
        { from: 'q', to: 'p' },
      ],
    );
    expect(cycle.boxes.map((b) => b.column).sort()).toEqual([0, 1]);
  });
});
