import { makeDeps } from '../../core/adapters/make-deps.ts';
import type { Deps } from '../../core/deps.ts';
import { InjectedFaultError } from '../../core/errors.ts';
import { createJob } from '../../core/jobs/jobs.ts';
import type { Clock, FaultHook } from '../../core/ports/index.ts';
import { acquireBatch as acquire } from '../../core/processing/acquire-batch.ts';
import { builtinProcessors } from '../../core/processors/builtin.ts';
import type { AnyProcessor } from '../../core/processors/define-processor.ts';
import { createRegistry } from '../../core/processors/registry.ts';
import { type LocalEnv, localEnv } from './local.ts';

/** A clock the test moves by hand: leases expire when the test says so. */
export class TestClock implements Clock {
  constructor(private ms = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A fault hook that throws at the named point (once, or on its nth passage) and records every point seen. */
export class Faults {
  readonly seen: string[] = [];
  private target?: { point: string; remaining: number };
  readonly hook: FaultHook = (point) => {
    this.seen.push(point);
    if (this.target?.point === point && --this.target.remaining === 0) {
      this.target = undefined;
      throw new InjectedFaultError({ point });
    }
  };
  crashAt(point: string, nth = 1): void {
    this.target = { point, remaining: nth };
  }
  get armed(): boolean {
    return this.target !== undefined;
  }
}

export interface CoreEnv {
  readonly env: LocalEnv;
  readonly deps: Deps;
  readonly clock: TestClock;
  readonly faults: Faults;
  /** The same stores with another clock or processors: a second worker. */
  with(overrides: Partial<Deps>): Deps;
}

/** Fresh tables and buckets, and the core's deps over them with the real DynamoDB and S3 adapters. */
export async function coreEnv(label: string, extra: readonly AnyProcessor[] = []): Promise<CoreEnv> {
  const env = await localEnv(label);
  const clock = new TestClock();
  const faults = new Faults();
  const deps = makeDeps({
    clients: env.clients,
    tables: env.tables,
    buckets: { work: env.bucket, data: env.dataBucket },
    processors: createRegistry([...builtinProcessors, ...extra]),
    clock,
    faults: faults.hook,
  });
  return { env, deps, clock, faults, with: (overrides) => ({ ...deps, ...overrides }) };
}

/**
 * A data set of `count` JSON records in JSON Lines chunks of `chunk` records in the data bucket, registered
 * in the catalog. Record i is `{ n: i }` unless `record` says otherwise.
 */
export async function seedDataset(
  deps: Deps,
  datasetId: string,
  count: number,
  options: { chunk?: number; record?: (i: number) => unknown; weights?: (i: number) => number } = {},
): Promise<void> {
  const at = new Date(deps.clock.now()).toISOString();
  if (!(await deps.catalog.getDataset(datasetId))) await deps.catalog.createDataset({ datasetId }, at);
  await appendRecords(deps, datasetId, count, options);
}

/**
 * Job `j` over a data set `ds` of `ids` records in one JSON Lines object, batched by count in batches of `size`,
 * with the noop processor unless `processor` names another, and every record of weight 1 unless `weights` says.
 */
export async function seedJob(
  deps: Deps,
  o: { ids: number; size: number; processor?: string; weights?: (i: number) => number },
): Promise<void> {
  await seedDataset(deps, 'ds', o.ids, { chunk: o.ids, weights: o.weights });
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: o.processor ?? 'noop' },
    batching: { by: 'count', size: o.size },
  });
}

/**
 * Worker `w` of run-1 takes the lease of job `j`'s batch at `start` for a minute, as an incremental run does;
 * with `cut`, as the worker of a batch whose cut its Plan left to the run's workers.
 */
export const acquireBatch = (deps: Deps, start: number, cut?: number) =>
  acquire(
    deps,
    {
      jobId: 'j',
      scope: { kind: 'inventory' },
      start,
      owner: 'w',
      runId: 'run-1',
      leaseMs: 60_000,
      policy: 'skip-succeeded',
    },
    cut,
  );

/** Add `count` records after the data set's current high id. */
export async function appendRecords(
  deps: Deps,
  datasetId: string,
  count: number,
  options: { chunk?: number; record?: (i: number) => unknown; weights?: (i: number) => number } = {},
): Promise<void> {
  const chunk = options.chunk ?? 1000;
  const record = options.record ?? ((i: number) => ({ n: i }));
  const ds = await deps.catalog.getDataset(datasetId);
  const base = ds?.highId ?? 0;
  const entries = [];
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const lines = Array.from({ length: n }, (_, k) => JSON.stringify(record(base + from + k + 1)));
    const key = `${datasetId}/part-${String(base + from + 1).padStart(10, '0')}.jsonl`;
    await deps.objects.put(deps.buckets.data, key, lines.join('\n'));
    const weights = options.weights
      ? Array.from({ length: n }, (_, k) => (options.weights as (i: number) => number)(base + from + k + 1))
      : 1;
    entries.push({
      count: n,
      location: `s3://${deps.buckets.data}/${key}`,
      format: 'jsonl' as const,
      weights,
    });
  }
  await deps.catalog.register(datasetId, entries, new Date(deps.clock.now()).toISOString());
}

/** A worker context for core calls whose log nobody reads. */
export const quietWorker = (invocationId: string) => ({ invocationId, log: { info() {}, warn() {} } });

/** Collect an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
