import { keys, pad } from '../../../core/contracts/tables.ts';
import type { Attempt, Batch, BatchScope, CatalogEntry, Dataset, Job, Run } from '../../../core/model.ts';
import type {
  Clock,
  ExceptionPublish,
  JobEvent,
  NewBatch,
  NewCut,
  OutputMove,
} from '../../../core/ports/index.ts';
import type { ExceptionRow } from './fake-exception-store.ts';
import { compact, copy, FakeTable, type Key } from './fake-table.ts';

/** What the inventory table holds, one kind per sort key prefix (core/contracts/tables.ts). */
export type InventoryRecord =
  | { readonly kind: 'job'; readonly job: Job }
  | { readonly kind: 'job-listing'; readonly jobId: string }
  | {
      readonly kind: 'config';
      readonly config: Record<string, unknown>;
      readonly configHash: string;
      readonly processorVersion: string;
    }
  | { readonly kind: 'batch'; readonly batch: Batch }
  | { readonly kind: 'attempt'; readonly attempt: Attempt }
  | { readonly kind: 'run'; readonly run: Run; readonly endEventId?: string }
  | { readonly kind: 'cut'; readonly cut: NewCut }
  | { readonly kind: 'split'; readonly from: string; readonly parts: readonly (readonly [number, number])[] }
  | { readonly kind: 'move'; readonly move: OutputMove }
  | { readonly kind: 'publish'; readonly publish: ExceptionPublish }
  | { readonly kind: 'event'; readonly event: JobEvent };

/** What the catalog table holds. */
export type CatalogRecord =
  | { readonly kind: 'dataset'; readonly dataset: Dataset }
  | { readonly kind: 'dataset-listing'; readonly datasetId: string }
  | { readonly kind: 'entry'; readonly entry: CatalogEntry }
  | { readonly kind: 'location'; readonly start: number };

/** The tables of one fake deployment. */
export interface FakeTables {
  readonly inventory: FakeTable<InventoryRecord>;
  readonly exceptions: FakeTable<ExceptionRow>;
  readonly catalog: FakeTable<CatalogRecord>;
}

export function fakeTables(): FakeTables {
  return { inventory: new FakeTable(), exceptions: new FakeTable(), catalog: new FakeTable() };
}

/** What every fake store is built from: the tables it shares with the others, and the clock. */
export interface FakeContext {
  readonly tables: FakeTables;
  readonly clock: Clock;
}

type Of<K extends InventoryRecord['kind']> = Extract<InventoryRecord, { kind: K }>;

/** The inventory record at `key` when it is of `kind`. */
export function recordAt<K extends InventoryRecord['kind']>(
  t: FakeTables,
  key: Key,
  kind: K,
): Of<K> | undefined {
  const record = t.inventory.get(key);
  return record?.kind === kind ? (record as Of<K>) : undefined;
}

/** Inventory records of a job's partition under a sort key prefix, of one kind, in key order. */
export function recordsUnder<K extends InventoryRecord['kind']>(
  t: FakeTables,
  jobId: string,
  prefix: string,
  kind: K,
): Of<K>[] {
  return t.inventory
    .prefixed(keys.jobPk(jobId), prefix)
    .flatMap(([, r]) => (r.kind === kind ? [r as Of<K>] : []));
}

export const jobOf = (t: FakeTables, jobId: string): Job | undefined =>
  recordAt(t, keys.job(jobId), 'job')?.job;

export function putJob(t: FakeTables, job: Job): void {
  t.inventory.put(keys.job(job.jobId), { kind: 'job', job: copy(compact(job)) });
}

export const batchOf = (t: FakeTables, jobId: string, scope: BatchScope, start: number): Batch | undefined =>
  recordAt(t, keys.batch(jobId, scope, start), 'batch')?.batch;

export function putBatch(t: FakeTables, batch: Batch): void {
  t.inventory.put(keys.batch(batch.jobId, batch.scope, batch.start), {
    kind: 'batch',
    batch: copy(compact(batch)),
  });
}

/** Batches of a scope with start in [from, to], in id order. */
export function batchesOf(
  t: FakeTables,
  jobId: string,
  scope: BatchScope,
  from: number,
  to: number,
): Batch[] {
  const prefix = keys.batchPrefix(scope);
  return t.inventory
    .between(keys.jobPk(jobId), `${prefix}${pad(from)}`, `${prefix}${pad(to)}`)
    .flatMap(([, r]) => (r.kind === 'batch' ? [r.batch] : []));
}

/** A new batch record as toNewBatchItem writes it: PENDING, never leased. */
export function newBatch(
  jobId: string,
  scope: BatchScope,
  b: NewBatch,
  plannedAt: string,
  reservation: { reservedBy?: string; reservedUntil?: number } = {},
): Batch {
  return compact({
    jobId,
    scope: copy(scope),
    start: b.start,
    end: b.end,
    stride: b.stride,
    count: b.count,
    weight: b.weight,
    status: 'PENDING',
    attempt: 0,
    token: 0,
    plannedAt,
    reservedBy: reservation.reservedBy,
    reservedUntil: reservation.reservedUntil,
  });
}

type AttemptRef = Pick<Attempt, 'jobId' | 'scope' | 'start' | 'end' | 'attempt'>;

const attemptKey = (a: AttemptRef) => keys.attempt(a.jobId, a.scope, a.start, a.end, a.attempt);

/** Attempt records are written once: `attribute_not_exists(pk)` on their key. */
export const hasAttempt = (t: FakeTables, a: AttemptRef): boolean => t.inventory.has(attemptKey(a));

export function putAttempt(t: FakeTables, attempt: Attempt): void {
  t.inventory.put(attemptKey(attempt), { kind: 'attempt', attempt: copy(compact(attempt)) });
}

/** The lease attributes a commit, a fail or an abandoned attempt removes. */
export const LEASE_ATTRIBUTES = ['leaseOwner', 'leaseRunId', 'leaseExpiresAt'] as const;

/** A lease is live up to and including its expiry instant (`leaseExpiresAt >= :now`). */
export const leaseLive = (b: Batch, now: number): boolean =>
  b.leaseExpiresAt !== undefined && b.leaseExpiresAt >= now;

/** FENCE: our token, our lease, not yet expired. A missing batch fails it, as a missing item fails a condition. */
export const fenced = (b: Batch | undefined, l: { token: number; owner: string }, now: number): b is Batch =>
  b !== undefined && b.token === l.token && b.leaseOwner === l.owner && leaseLive(b, now);

/** Stale runs named in one condition: DynamoDB allows 100 operands in an IN list. */
const STALE_MAX = 90;

/**
 * Free to be reserved by `runId` at `now`: not reserved, reserved by this run, expired, or reserved by one of
 * the runs known to be finished (freeToReserve in dynamo-batch-records.ts).
 */
export function freeToReserve(b: Batch, runId: string, now: number, staleRuns: readonly string[]): boolean {
  if (b.reservedBy === undefined || b.reservedBy === runId) return true;
  if (b.reservedUntil !== undefined && b.reservedUntil < now) return true;
  return staleRuns.slice(0, STALE_MAX).includes(b.reservedBy);
}

/** The sparse `open` index holds a batch while it is not SUCCEEDED: a commit removes it, a lease adds it back. */
export const isOpen = (b: Batch): boolean => b.status !== 'SUCCEEDED';

/** An event's two records, as DynamoDB's commit or close writes them: its place in the log and its pending mark. */
export function putEvent(t: FakeTables, event: JobEvent): void {
  t.inventory.put(keys.event(event.jobId, event.at, event.eventId), { kind: 'event', event: copy(event) });
  t.inventory.put(keys.pendingEvent(event.jobId, event.eventId), { kind: 'event', event: copy(event) });
}
