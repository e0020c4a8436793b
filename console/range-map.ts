/**
 * The range map of a job: every id of its data set in one of seven classes, held as parallel typed arrays (a
 * million batches take about 17 MB) and aggregated into pixel buckets for a zoom window on the server, so that the
 * page draws a few thousand numbers however many batches the job has.
 */

/** The classes, in drawing order; the index is the class code. */
export const RANGE_CLASSES = ['done', 'failed', 'leased', 'pending', 'stale', 'never', 'sample'] as const;
export type RangeClass = (typeof RANGE_CLASSES)[number];
export const CLASS_CODE = Object.fromEntries(RANGE_CLASSES.map((c, i) => [c, i])) as Record<
  RangeClass,
  number
>;

/** A job's ranges as read once: batches in id order (no overlaps), and the sample runs' ranges apart. */
export interface RangeSnapshot {
  readonly firstId: number;
  /** The last id of the data set (ids past it do not exist yet). */
  readonly highId: number;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly classes: Uint8Array;
  readonly length: number;
  /** Sample batches: ids start, start+stride, ... end; they overlap the inventory. */
  readonly samples: readonly { start: number; end: number; stride: number }[];
  /** When the snapshot was read (epoch ms). */
  readonly takenAt: number;
}

/** Builds a snapshot from batches in id order. */
export class SnapshotBuilder {
  #starts = new Float64Array(1024);
  #ends = new Float64Array(1024);
  #classes = new Uint8Array(1024);
  #n = 0;
  readonly #samples: { start: number; end: number; stride: number }[] = [];

  add(start: number, end: number, cls: RangeClass): void {
    if (this.#n === this.#starts.length) this.#grow();
    this.#starts[this.#n] = start;
    this.#ends[this.#n] = end;
    this.#classes[this.#n] = CLASS_CODE[cls];
    this.#n++;
  }

  addSample(start: number, end: number, stride: number): void {
    this.#samples.push({ start, end, stride });
  }

  build(o: { firstId: number; highId: number; takenAt: number }): RangeSnapshot {
    // Pending cuts arrive after the batches: one sort by start keeps the arrays searchable.
    let sorted = true;
    for (let i = 1; i < this.#n && sorted; i++)
      sorted = (this.#starts[i - 1] as number) <= (this.#starts[i] as number);
    const order = sorted
      ? undefined
      : [...Array(this.#n).keys()].sort((a, b) => (this.#starts[a] as number) - (this.#starts[b] as number));
    const pick = <T extends Float64Array | Uint8Array>(src: T, make: (n: number) => T): T => {
      if (!order) return src.slice(0, this.#n) as T;
      const out = make(this.#n);
      for (let i = 0; i < this.#n; i++) out[i] = src[order[i] as number] as number;
      return out;
    };
    return {
      ...o,
      starts: pick(this.#starts, (n) => new Float64Array(n)),
      ends: pick(this.#ends, (n) => new Float64Array(n)),
      classes: pick(this.#classes, (n) => new Uint8Array(n)),
      length: this.#n,
      samples: this.#samples,
    };
  }

  #grow(): void {
    const size = this.#starts.length * 2;
    const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#starts = grow(this.#starts, (n) => new Float64Array(n));
    this.#ends = grow(this.#ends, (n) => new Float64Array(n));
    this.#classes = grow(this.#classes, (n) => new Uint8Array(n));
  }
}

/** The id counts of each class per bucket of a window: `counts[c][i]` ids of class c in bucket i. */
export interface RangeBuckets {
  readonly from: number;
  readonly to: number;
  readonly buckets: number;
  /** Ids per bucket (the last may hold fewer). */
  readonly width: number;
  readonly classes: readonly RangeClass[];
  readonly counts: Record<RangeClass, number[]>;
  /** Ids of each class in the whole window. */
  readonly totals: Record<RangeClass, number>;
}

/** The whole id space of a snapshot: what a window is clamped to. */
export const spaceOf = (s: Pick<RangeSnapshot, 'firstId' | 'highId' | 'ends' | 'length'>) => ({
  from: s.firstId,
  to: Math.max(s.highId, s.length > 0 ? (s.ends[s.length - 1] as number) : s.firstId, s.firstId),
});

/** Index of the first batch whose end is >= id (binary search over the sorted, disjoint ranges). */
export function firstEndingAtOrAfter(s: Pick<RangeSnapshot, 'ends' | 'length'>, id: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s.ends[mid] as number) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Aggregate the window [from, to] (clamped to the id space) into at most `buckets` buckets of equal width. Ids no
 * batch covers count as `never` processed; sample ids are counted on their own (they overlap the inventory).
 * Work is proportional to the batches inside the window plus the buckets.
 */
export function bucketize(
  s: RangeSnapshot,
  window: { from?: number; to?: number },
  buckets: number,
): RangeBuckets {
  const space = spaceOf(s);
  const from = Math.max(space.from, Math.floor(window.from ?? space.from));
  const to = Math.max(from, Math.min(space.to, Math.floor(window.to ?? space.to)));
  const ids = to - from + 1;
  const n = Math.max(1, Math.min(Math.floor(buckets), ids));
  const width = Math.ceil(ids / n);
  const nb = Math.ceil(ids / width);
  const grid = RANGE_CLASSES.map(() => new Float64Array(nb));
  const spread = (cls: number, a: number, b: number) => {
    const row = grid[cls] as Float64Array;
    for (let lo = a; lo <= b; ) {
      const i = Math.floor((lo - from) / width);
      const hi = Math.min(b, from + (i + 1) * width - 1);
      row[i] = (row[i] as number) + (hi - lo + 1);
      lo = hi + 1;
    }
  };
  let cursor = from;
  for (let i = firstEndingAtOrAfter(s, from); i < s.length; i++) {
    const start = s.starts[i] as number;
    if (start > to) break;
    const a = Math.max(start, from);
    const b = Math.min(s.ends[i] as number, to);
    if (a > cursor) spread(CLASS_CODE.never, cursor, a - 1);
    spread(s.classes[i] as number, a, b);
    cursor = Math.max(cursor, b + 1);
  }
  if (cursor <= Math.min(to, s.highId)) spread(CLASS_CODE.never, cursor, Math.min(to, s.highId));
  for (const x of s.samples) countSample(grid[CLASS_CODE.sample] as Float64Array, x, from, to, width);
  const counts = Object.fromEntries(RANGE_CLASSES.map((c, k) => [c, Array.from(grid[k] as Float64Array)]));
  const totals = Object.fromEntries(
    RANGE_CLASSES.map((c, k) => [c, (grid[k] as Float64Array).reduce((m, v) => m + v, 0)]),
  );
  return {
    from,
    to,
    buckets: nb,
    width,
    classes: RANGE_CLASSES,
    counts: counts as Record<RangeClass, number[]>,
    totals: totals as Record<RangeClass, number>,
  };
}

function countSample(
  row: Float64Array,
  x: { start: number; end: number; stride: number },
  from: number,
  to: number,
  width: number,
): void {
  if (x.end < from || x.start > to) return;
  // The first sampled id at or after `from`, then one step at a time: samples are capped by their limit.
  const skip = x.start >= from ? 0 : Math.ceil((from - x.start) / x.stride);
  for (let id = x.start + skip * x.stride; id <= Math.min(x.end, to); id += x.stride) {
    const i = Math.floor((id - from) / width);
    row[i] = (row[i] as number) + 1;
  }
}

/** A stretch of ids that is not done: never processed, failed, pending, leased or stale, merged. */
export interface Gap {
  readonly start: number;
  readonly end: number;
  readonly ids: number;
  readonly classes: readonly RangeClass[];
}

/**
 * The gap finder: maximal stretches of ids not done with the current config, in id order from `after`, at most
 * `limit` of them, and how many there are in all.
 */
export function findGaps(s: RangeSnapshot, after: number, limit: number): { gaps: Gap[]; total: number } {
  const space = spaceOf(s);
  const gaps: Gap[] = [];
  let total = 0;
  let open: { start: number; end: number; classes: Set<RangeClass> } | undefined;
  const close = () => {
    if (!open) return;
    total++;
    if (open.end >= after && gaps.length < limit)
      gaps.push({
        start: open.start,
        end: open.end,
        ids: open.end - open.start + 1,
        classes: [...open.classes],
      });
    open = undefined;
  };
  const extend = (start: number, end: number, cls: RangeClass) => {
    if (open && open.end + 1 === start) {
      open.end = end;
      open.classes.add(cls);
    } else {
      close();
      open = { start, end, classes: new Set([cls]) };
    }
  };
  let cursor = space.from;
  for (let i = 0; i < s.length; i++) {
    const start = s.starts[i] as number;
    const end = s.ends[i] as number;
    if (start > cursor) extend(cursor, start - 1, 'never');
    const cls = RANGE_CLASSES[s.classes[i] as number] as RangeClass;
    if (cls === 'done') close();
    else extend(start, end, cls);
    cursor = Math.max(cursor, end + 1);
  }
  if (cursor <= s.highId) extend(cursor, s.highId, 'never');
  close();
  return { gaps, total };
}
