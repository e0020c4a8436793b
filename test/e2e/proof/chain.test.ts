import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleBatches } from '../../../core/jobs/dependencies.ts';
import { createJob, updateJobConfig } from '../../../core/jobs/jobs.ts';
import type { Attempt, Batch } from '../../../core/model.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { expectTiling } from '../../support/inventory-checks.ts';
import { checkEvents } from './fixtures/chaos-checks.ts';
import { setAsideByChaos } from './fixtures/processors.ts';
import * as s from './support.ts';

/**
 * A chain A -> B -> C over 20,000 ids through the local mode: B reads A's outputs, C reads B's, each triggered
 * by its producer's commits. A is done up to 12,000 and B and C follow only there; A redoes 3,000..5,000 with a
 * changed config, the cascade is killed (SIGKILL of the whole local mode) while B redoes, and after a restart
 * the reconcile finishes it: B's and C's batches over the redone range are redone, exactly those, once; no id
 * is lost or repeated in any job's outputs; every job's events match its commits one to one.
 */

const ITEMS = 20_000;
const BATCH = 500;
const DONE_UP_TO = 12_000;
const REDO = { idStart: 3_000, idEnd: 5_000 };
const RECONCILE_MS = 1_500;
const JOBS = ['chain-a', 'chain-b', 'chain-c'] as const;

const dataDir = mkdtempSync(join(tmpdir(), 'bk-chain-'));
let host: s.Host | undefined;
let c: s.Connection;

async function boot(): Promise<void> {
  host = await s.startHost({ dataDir, reconcileMs: RECONCILE_MS });
  c = s.connect(host.state);
}

afterAll(async () => {
  await s.stopHost(host);
  rmSync(dataDir, { recursive: true, force: true });
});

const inventory = (jobId: string) => collect(c.deps.batches.list(jobId, { kind: 'inventory' }));
const succeeded = async (jobId: string) =>
  (await collect(c.deps.attempts.list(jobId, { kind: 'inventory' }))).filter(
    (a) => a.outcome === 'SUCCEEDED',
  );

/** Until `done` holds and no execution runs, twice in a row a reconcile apart; fails after `timeoutMs`. */
async function settle(what: string, done: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  while (calm < 2) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not settled in ${timeoutMs} ms:\n${host?.output().slice(-4000)}`);
    await s.sleep(RECONCILE_MS);
    const running = (await s.listExecutions(c)).some((e) => e.status === 'RUNNING');
    calm = !running && (await done()) ? calm + 1 : 0;
  }
}

/** Every batch SUCCEEDED, the job's batches tiling 1..last, and nothing of it stale. */
async function caughtUp(jobId: string, last: number): Promise<boolean> {
  const batches = await inventory(jobId);
  if (batches.length === 0 || batches.at(-1)?.end !== last) return false;
  if (batches.some((b) => b.status !== 'SUCCEEDED')) return false;
  const job = await c.deps.jobs.getJob(jobId);
  for await (const _ of staleBatches(c.deps, job as never)) return false;
  return true;
}

const overlapsRedo = (b: { start: number; end: number }) => b.end >= REDO.idStart && b.start <= REDO.idEnd;

/** Per batch start, its SUCCEEDED attempts. */
function commitsPerBatch(attempts: readonly Attempt[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const a of attempts) out.set(a.start, (out.get(a.start) ?? 0) + 1);
  return out;
}

/** Ids of 1..last that are not in the job's outputs exactly once (less those A set aside), and strays. */
async function outputIdsWrong(jobId: string, last: number): Promise<number[]> {
  const seen = new Map<number, number>();
  for (const o of await s.outputObjects(c, `outputs/${jobId}/`))
    for (const id of o.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  const wrong: number[] = [];
  for (let id = 1; id <= last; id++) {
    const want = setAsideByChaos(id) ? 0 : 1;
    if ((seen.get(id) ?? 0) !== want) wrong.push(id);
  }
  for (const id of seen.keys()) if (id > last) wrong.push(id);
  return wrong;
}

describe('a chain of jobs A -> B -> C, triggered, through the local mode', () => {
  it('follows only what is READY, redoes exactly what a producer redid, and survives a SIGKILL', async () => {
    await boot();
    await seedDataset(c.deps, 'chain-ds', ITEMS, { chunk: 2_000 });
    const job = (jobId: string, datasetId: string, processor: string, producer?: string) =>
      createJob(c.deps, {
        jobId,
        datasetId,
        processor: { name: processor },
        config: { v: 1 },
        batching: { by: 'count', size: BATCH },
        leaseSeconds: 5,
        maxConcurrency: 4,
        ...(producer ? { dependsOn: [{ jobId: producer, trigger: true }] } : {}),
      });
    await job('chain-a', 'chain-ds', 'proof-reject-97');
    await job('chain-b', 'chain-a.outputs', 'noop', 'chain-a');
    await job('chain-c', 'chain-b.outputs', 'noop', 'chain-b');

    // A up to 12,000: B and C follow through their triggers, and go no further.
    const first = await s.startRun(c, { jobId: 'chain-a', mode: 'backfill', idStart: 1, idEnd: DONE_UP_TO });
    expect((await s.waitForExecution(c.sfn, first, 600_000)).status).toBe('SUCCEEDED');
    await settle(
      'the first cascade',
      async () => (await caughtUp('chain-b', DONE_UP_TO)) && caughtUp('chain-c', DONE_UP_TO),
    );
    for (const jobId of JOBS) {
      const batches = await expectTiling(c.deps, jobId);
      expect(batches.at(-1)?.end, jobId).toBe(DONE_UP_TO);
    }
    const before = { b: await succeeded('chain-b'), c: await succeeded('chain-c') };

    // A redoes 3,000..5,000 with another config; its commits trigger B, whose commits trigger C.
    await updateJobConfig(c.deps, 'chain-a', { v: 2 });
    const redo = await s.startRun(c, { jobId: 'chain-a', mode: 'backfill', ...REDO });
    expect((await s.waitForExecution(c.sfn, redo, 600_000)).status).toBe('SUCCEEDED');
    // The cascade is killed while B redoes.
    const deadline = Date.now() + 300_000;
    while ((await succeeded('chain-b')).length === before.b.length) {
      if (Date.now() > deadline) throw new Error(`B never started redoing:\n${host?.output().slice(-4000)}`);
      await s.sleep(50);
    }
    await s.killHost(host as s.Host);
    await boot();
    await settle('the cascade after the restart', async () => {
      for (const jobId of JOBS) if (!(await caughtUp(jobId, DONE_UP_TO))) return false;
      return true;
    });

    // Exactly the consumer batches over the redone range were redone, each once; the others never.
    for (const [jobId, earlier] of [
      ['chain-b', before.b],
      ['chain-c', before.c],
    ] as const) {
      const batches: Batch[] = await expectTiling(c.deps, jobId);
      const was = commitsPerBatch(earlier);
      const now = commitsPerBatch(await succeeded(jobId));
      const redone = batches
        .filter((b) => (now.get(b.start) ?? 0) > (was.get(b.start) ?? 0))
        .map((b) => b.start);
      expect(redone, jobId).toEqual(batches.filter(overlapsRedo).map((b) => b.start));
      for (const b of batches) expect(now.get(b.start), `${jobId} ${b.start}`).toBe(overlapsRedo(b) ? 2 : 1);
    }
    for (const jobId of JOBS) {
      expect(await outputIdsWrong(jobId, DONE_UP_TO), jobId).toEqual([]);
      const attempts = await collect(c.deps.attempts.list(jobId, { kind: 'inventory' }));
      const verdict = checkEvents(
        await s.allEvents(c.deps, jobId),
        attempts,
        await s.allRuns(c.deps, jobId),
        await c.deps.events.pending(jobId, 1_000),
      );
      expect({ ...verdict, pending: 0 }, jobId).toEqual({
        missing: [],
        extra: [],
        repeated: [],
        runs: [],
        pending: 0,
      });
    }
  });
});
