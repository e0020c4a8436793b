/** A record's key, as the DynamoDB adapters lay it out (core/contracts/tables.ts). */
export interface Key {
  readonly pk: string;
  readonly sk: string;
}

/**
 * One in-memory table: partitions of records ordered by sort key, as DynamoDB orders string keys (the keys are
 * ASCII, so code-unit order is byte order). The fakes keep the adapters' key layout, so a listing comes back in
 * the same order and a deletion page by page takes the same records.
 */
export class FakeTable<T> {
  readonly #partitions = new Map<string, Map<string, T>>();
  /** Sort keys of a partition in order, kept until a key is added or deleted. */
  readonly #sorted = new Map<string, string[]>();

  get(key: Key): T | undefined {
    return this.#partitions.get(key.pk)?.get(key.sk);
  }

  has(key: Key): boolean {
    return this.get(key) !== undefined;
  }

  put(key: Key, value: T): void {
    let partition = this.#partitions.get(key.pk);
    if (!partition) {
      partition = new Map();
      this.#partitions.set(key.pk, partition);
    }
    if (!partition.has(key.sk)) this.#sorted.delete(key.pk);
    partition.set(key.sk, value);
  }

  delete(key: Key): boolean {
    const partition = this.#partitions.get(key.pk);
    const deleted = partition?.delete(key.sk) ?? false;
    if (deleted) this.#sorted.delete(key.pk);
    if (partition?.size === 0) this.#partitions.delete(key.pk);
    return deleted;
  }

  /** Every record of a partition, in sort key order. */
  partition(pk: string): [string, T][] {
    const partition = this.#partitions.get(pk);
    if (!partition) return [];
    let sorted = this.#sorted.get(pk);
    if (!sorted) {
      sorted = [...partition.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      this.#sorted.set(pk, sorted);
    }
    return sorted.map((sk) => [sk, partition.get(sk) as T]);
  }

  /** Records whose sort key starts with `prefix`, in sort key order. */
  prefixed(pk: string, prefix: string): [string, T][] {
    return this.partition(pk).filter(([sk]) => sk.startsWith(prefix));
  }

  /** Records whose sort key lies in [from, to], in sort key order (DynamoDB's BETWEEN). */
  between(pk: string, from: string, to: string): [string, T][] {
    return this.partition(pk).filter(([sk]) => sk >= from && sk <= to);
  }
}

/** A deep copy: a fake never hands out, nor keeps, an object the caller holds. */
export const copy = <T>(value: T): T => structuredClone(value);

/** Without its undefined attributes, as the document client writes a record (removeUndefinedValues). */
export function compact<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

/** A record without some attributes: an update's REMOVE clause. */
export function omit<T extends object, K extends keyof T>(record: T, ...names: readonly K[]): Omit<T, K> {
  const out = { ...record };
  for (const name of names) delete out[name];
  return out;
}

/** Epoch milliseconds as the adapters write times. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One page of rows in query order, after the sort key a cursor names: a page that reached its limit carries the
 * last key read, as a Query that stopped at its Limit returns LastEvaluatedKey (even when nothing follows).
 */
export function pageOf<T>(
  rows: readonly [string, T][],
  limit: number,
  after: string | undefined,
  order: 'ascending' | 'descending' = 'ascending',
): { rows: [string, T][]; last?: string } {
  const rest =
    after === undefined ? rows : rows.filter(([sk]) => (order === 'ascending' ? sk > after : sk < after));
  const page = rest.slice(0, limit);
  const last = page.length === limit ? page[page.length - 1]?.[0] : undefined;
  return last === undefined ? { rows: page } : { rows: page, last };
}
