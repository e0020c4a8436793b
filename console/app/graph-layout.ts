/** A layered layout of the dependency graph: producers left, consumers right, no library. */

export interface LayoutBox {
  readonly id: string;
  /** Its depth: the longest chain of producers before it. */
  readonly column: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
}

export interface LayoutEdge {
  readonly from: string;
  readonly to: string;
  /** An SVG path from the right side of the producer's box to the left side of the consumer's. */
  readonly path: string;
  /** Where a label of the edge goes: the middle of the path. */
  readonly mid: { readonly x: number; readonly y: number };
}

export interface Layout {
  readonly boxes: readonly LayoutBox[];
  readonly edges: readonly LayoutEdge[];
  readonly width: number;
  readonly height: number;
}

export interface LayoutSizes {
  readonly boxWidth: number;
  readonly boxHeight: number;
  readonly columnGap: number;
  readonly rowGap: number;
}

export const SIZES: LayoutSizes = { boxWidth: 236, boxHeight: 96, columnGap: 110, rowGap: 26 };

/**
 * Columns by depth (a job with no producer in column 0, a consumer one column right of its deepest producer);
 * in each column after the first, jobs ordered by the mean row of their producers, ties in the given order
 * (producers first, as the API lists them); each column centred on the tallest.
 */
export function layered(
  ids: readonly string[],
  edges: readonly { from: string; to: string }[],
  sizes: LayoutSizes = SIZES,
): Layout {
  const depth = depths(ids, edges);
  const columns: string[][] = [];
  for (const id of ids) {
    const d = depth.get(id) ?? 0;
    columns[d] = [...(columns[d] ?? []), id];
  }
  const row = new Map<string, number>();
  const order = new Map(ids.map((id, i) => [id, i]));
  for (const column of columns) {
    if (!column) continue;
    const mean = (id: string) => {
      const rows = edges.filter((e) => e.to === id && row.has(e.from)).map((e) => row.get(e.from) as number);
      return rows.length === 0 ? Number.POSITIVE_INFINITY : rows.reduce((a, b) => a + b, 0) / rows.length;
    };
    const keyed = column.map((id) => ({ id, key: mean(id), at: order.get(id) ?? 0 }));
    keyed.sort((p, q) => (p.key === q.key ? p.at - q.at : p.key < q.key ? -1 : 1));
    for (const [i, k] of keyed.entries()) row.set(k.id, i);
  }
  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const height = tallest * sizes.boxHeight + (tallest - 1) * sizes.rowGap;
  const boxes: LayoutBox[] = ids.map((id) => {
    const column = depth.get(id) ?? 0;
    const inColumn = columns[column]?.length ?? 1;
    const offset = (height - (inColumn * sizes.boxHeight + (inColumn - 1) * sizes.rowGap)) / 2;
    const r = row.get(id) ?? 0;
    return {
      id,
      column,
      row: r,
      x: column * (sizes.boxWidth + sizes.columnGap),
      y: offset + r * (sizes.boxHeight + sizes.rowGap),
    };
  });
  const at = new Map(boxes.map((b) => [b.id, b]));
  const laidOut = edges.flatMap((e) => {
    const from = at.get(e.from);
    const to = at.get(e.to);
    return from && to ? [edgeOf(e, from, to, sizes)] : [];
  });
  const width = columns.length * sizes.boxWidth + Math.max(0, columns.length - 1) * sizes.columnGap;
  return { boxes, edges: laidOut, width, height };
}

/**
 * Longest chain of producers per job. Relaxed at most once per job, so a cycle (which job creation refuses) only
 * pushes its jobs right instead of looping.
 */
function depths(ids: readonly string[], edges: readonly { from: string; to: string }[]): Map<string, number> {
  const depth = new Map(ids.map((id) => [id, 0]));
  const known = edges.filter((e) => depth.has(e.from) && depth.has(e.to) && e.from !== e.to);
  for (let pass = 0; pass < ids.length; pass++) {
    let changed = false;
    for (const e of known) {
      const d = (depth.get(e.from) as number) + 1;
      if (d > (depth.get(e.to) as number) && d < ids.length) {
        depth.set(e.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

function edgeOf(
  e: { from: string; to: string },
  from: LayoutBox,
  to: LayoutBox,
  sizes: LayoutSizes,
): LayoutEdge {
  const x1 = from.x + sizes.boxWidth;
  const y1 = from.y + sizes.boxHeight / 2;
  const x2 = to.x;
  const y2 = to.y + sizes.boxHeight / 2;
  const bend = Math.max(40, Math.abs(x2 - x1) / 2);
  return {
    from: e.from,
    to: e.to,
    path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
    mid: { x: (x1 + x2) / 2, y: (y1 + y2) / 2 },
  };
}
