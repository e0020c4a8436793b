import type { Deps } from '../../../core/deps.ts';
import type { BatchScope, Job } from '../../../core/model.ts';
import type { AcquireInput, AcquireResult, LeaseGrant, NewBatch, NewCut } from '../../../core/ports/index.ts';

/**
 * What a port contract runs against: a fresh deployment (its own tables and buckets) and the clock its stores
 * read. The unit tier gives the fakes (test/support/fakes/fake-deps.ts), the local tier the adapters on DynamoDB
 * Local and moto (test/support/core-env.ts).
 */
export interface ContractEnv {
  readonly deps: Deps;
  readonly clock: { now(): number; advance(ms: number): void };
}

/** A fresh environment per test; `label` names its tables where there are any. */
export type MakeEnv = (label: string) => Promise<ContractEnv>;

export const AT = '2026-01-01T00:00:00.000Z';
export const LATER = '2026-01-02T00:00:00.000Z';
export const INVENTORY: BatchScope = { kind: 'inventory' };

/** Job `jobId` as the jobs room writes it, watermark 1, without a data set behind it (ports need none). */
export function jobRecord(jobId = 'j', overrides: Partial<Job> = {}): Job {
  return {
    jobId,
    datasetId: 'ds',
    processor: { name: 'noop', version: '1' },
    config: {},
    batching: { by: 'count', size: 10 },
    maxConcurrency: 10,
    toleratedFailurePercentage: 100,
    leaseSeconds: 900,
    configHash: 'hash-a',
    state: 'ACTIVE',
    watermark: 1,
    firstId: 1,
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

/** `n` adjacent batches of `size` ids from `from`, each of weight `size`. */
export const batchesFrom = (from: number, n: number, size = 10): NewBatch[] =>
  Array.from({ length: n }, (_, k) => ({
    start: from + k * size,
    end: from + (k + 1) * size - 1,
    stride: 1,
    count: size,
    weight: size,
  }));

/** A cut of job `j` from `from`, of `n` batches of 10, for run-1. */
export const cutOf = (from: number, n: number, extra: Partial<NewCut> = {}): NewCut => ({
  jobId: 'j',
  from,
  batches: batchesFrom(from, n),
  runId: 'run-1',
  reservedUntil: Date.parse(AT) + 15 * 60_000,
  at: AT,
  ...extra,
});

/** Job `j` with `n` batches of 10 ids (1-10, 11-20, ...) created as a plan creates them, reserved for `runId`. */
export async function jobWithBatches(
  env: ContractEnv,
  n: number,
  o: { runId?: string; reservedMs?: number } = {},
): Promise<void> {
  await env.deps.jobs.putJob(jobRecord());
  const reservedUntil = env.clock.now() + (o.reservedMs ?? 15 * 60_000);
  for (let done = 0; done < n; done += 99) {
    const cut = cutOf(1 + done * 10, Math.min(99, n - done), { runId: o.runId ?? 'run-1', reservedUntil });
    await env.deps.cuts.cutNew(cut);
    await env.deps.cuts.createCut(cut);
  }
}

/** Owner `owner` of `runId` asks for batch `start` of job `j`. */
export const acquireInput = (start: number, owner: string, o: Partial<AcquireInput> = {}): AcquireInput => ({
  jobId: 'j',
  scope: INVENTORY,
  start,
  owner,
  runId: 'run-1',
  leaseMs: 10_000,
  policy: 'skip-succeeded',
  ...o,
});

/** The grant of an acquire that had to succeed. */
export function granted(r: AcquireResult): LeaseGrant {
  if (r.outcome !== 'ACQUIRED') throw new Error(`expected ACQUIRED, got ${r.outcome}`);
  return r;
}

/** What a worker that holds grant `g` on batch `start` (of 10 ids) passes to a fenced write. */
export const leaseOf = (g: LeaseGrant, owner: string, runId = 'run-1') => ({
  jobId: 'j',
  scope: INVENTORY,
  start: g.batch.start,
  end: g.batch.end,
  token: g.token,
  attempt: g.attempt,
  startedAt: g.startedAt,
  owner,
  runId,
  configHash: 'hash-a',
});
