import type { Deps } from '../../core/deps.ts';
import { createJob } from '../../core/jobs/jobs.ts';
import type { AcquirePolicy, AcquireResult } from '../../core/ports/index.ts';
import { acquireBatch } from '../../core/processing/acquire-batch.ts';

/**
 * Seeding through the ports alone, for any Deps: the fakes of the unit tier and the adapters of the local tier.
 * test/support/core-env.ts re-exports them for the tests that build their tables on DynamoDB Local.
 */

export interface RecordOptions {
  /** Records per JSON Lines object. @default 1000 */
  readonly chunk?: number;
  /** Record i. @default { n: i } */
  readonly record?: (i: number) => unknown;
  /** Weight of record i. @default 1 */
  readonly weights?: (i: number) => number;
}

/** A data set of `count` JSON records in JSON Lines objects in the data bucket, registered in the catalog. */
export async function seedDataset(deps: Deps, datasetId: string, count: number, options: RecordOptions = {}) {
  const at = new Date(deps.clock.now()).toISOString();
  if (!(await deps.catalog.getDataset(datasetId))) await deps.catalog.createDataset({ datasetId }, at);
  await appendRecords(deps, datasetId, count, options);
}

/** Add `count` records after the data set's current high id. */
export async function appendRecords(
  deps: Deps,
  datasetId: string,
  count: number,
  options: RecordOptions = {},
) {
  const chunk = options.chunk ?? 1000;
  const record = options.record ?? ((i: number) => ({ n: i }));
  const base = (await deps.catalog.getDataset(datasetId))?.highId ?? 0;
  const entries = [];
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const ids = Array.from({ length: n }, (_, k) => base + from + k + 1);
    const key = `${datasetId}/part-${String(base + from + 1).padStart(10, '0')}.jsonl`;
    await deps.objects.put(deps.buckets.data, key, ids.map((i) => JSON.stringify(record(i))).join('\n'));
    const weigh = options.weights;
    entries.push({
      count: n,
      location: `s3://${deps.buckets.data}/${key}`,
      format: 'jsonl' as const,
      weights: weigh ? ids.map((i) => weigh(i)) : 1,
    });
  }
  await deps.catalog.register(datasetId, entries, new Date(deps.clock.now()).toISOString());
}

/**
 * Job `j` over a data set `ds` of `ids` records in one JSON Lines object, batched by count in batches of `size`,
 * with the noop processor unless `processor` names another.
 */
export async function seedJob(
  deps: Deps,
  o: { ids: number; size: number; processor?: string; weights?: (i: number) => number },
): Promise<void> {
  await seedDataset(deps, 'ds', o.ids, { chunk: Math.max(1, o.ids), weights: o.weights });
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: o.processor ?? 'noop' },
    batching: { by: 'count', size: o.size },
  });
}

/**
 * Worker `w` of run-1 (or `owner` of `runId`) takes the lease of job `j`'s batch at `start` for a minute; with
 * `cut`, as the worker of a batch whose cut its Plan left to the run's workers.
 */
export const takeBatch = (
  deps: Pick<Deps, 'leases' | 'cuts' | 'clock'>,
  start: number,
  o: { cut?: number; owner?: string; runId?: string; leaseMs?: number; policy?: AcquirePolicy } = {},
) =>
  acquireBatch(
    deps,
    {
      jobId: 'j',
      scope: { kind: 'inventory' },
      start,
      owner: o.owner ?? 'w',
      runId: o.runId ?? 'run-1',
      leaseMs: o.leaseMs ?? 60_000,
      policy: o.policy ?? 'skip-succeeded',
    },
    o.cut,
  );

/** What the worker holding `got` passes to a fenced write (commit, fail, heartbeat): its lease as granted. */
export function heldLease(got: AcquireResult, configHash = 'h') {
  if (got.outcome !== 'ACQUIRED') throw new Error(`expected ACQUIRED, got ${got.outcome}`);
  const b = got.batch;
  return {
    jobId: b.jobId,
    scope: b.scope,
    start: b.start,
    end: b.end,
    token: got.token,
    attempt: got.attempt,
    startedAt: got.startedAt,
    owner: b.leaseOwner as string,
    runId: b.leaseRunId as string,
    configHash,
  };
}

/** A worker context for core calls whose log nobody reads. */
export const quietWorker = (invocationId: string) => ({ invocationId, log: { info() {}, warn() {} } });

/** Collect an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
