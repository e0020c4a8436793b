import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { InjectedFaultError, JobBusyError } from '../../../core/errors.ts';
import { requeueExceptions } from '../../../core/exceptions.ts';
import { createJob, deleteJob, jobPrefixes } from '../../../core/jobs.ts';
import type { ItemException } from '../../../core/model.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { expectTiling } from '../../support/invariants.ts';
import {
  caughtFaults,
  checkCommits,
  checkOutputs,
  unfencedExceptions,
  unrecordedFaults,
} from './fixtures/chaos-checks.ts';
import { chaosFaults, readFaultLog } from './fixtures/faults.ts';
import { REJECT_EVERY } from './fixtures/processors.ts';
import { deriveSeed, intIn, seeded } from './fixtures/random.ts';
import {
  type Connection,
  connect,
  type Host,
  historyOf,
  killHost,
  listExecutions,
  listKeys,
  readText,
  sleep,
  startHost,
  startRun,
  stopHost,
  waitForExecution,
} from './support.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 20_260_101);
const ITEMS = 20_000;
const RUNS = 200;
const KILLS = 10;
const FAULT_RATE = 0.05;
const JOB = 'chaos';
const DOOMED = 'doomed';

const dataDir = mkdtempSync(join(tmpdir(), 'bk-proof-chaos-'));
const faultLog = join(dataDir, 'faults.jsonl');
let host: Host | undefined;
let c: Connection;
let incarnation = 0;
let runs = 0;

afterAll(async () => {
  await stopHost(host);
  rmSync(dataDir, { recursive: true, force: true });
});

/** (Re)start the local mode on the same data directory, with the faults of this incarnation. */
async function boot(): Promise<void> {
  const faults = {
    seed: deriveSeed(SEED, 1_000 + incarnation),
    rate: FAULT_RATE,
    log: faultLog,
    by: `host-${incarnation}`,
  };
  incarnation += 1;
  host = await startHost({ dataDir, faults });
  c = connect(host.state);
}

async function run(name: string, input: Record<string, unknown>) {
  runs += 1;
  return waitForExecution(c.sfn, await startRun(c, input, name), 60_000);
}

interface Step {
  readonly name: string;
  readonly input: Record<string, unknown>;
  /** Kill the whole local mode this long after StartExecution, then start the same input again. */
  readonly killAfterMs?: number;
}

/** The seeded schedule: mostly incremental and retry-failed, some backfills over random bounds, a few samples. */
function schedule(rng: () => number): Step[] {
  const kills = new Set(Array.from({ length: KILLS }, (_, k) => 10 + k * 18 + intIn(rng, 0, 10)));
  return Array.from({ length: RUNS }, (_, i): Step => {
    const maxBatches = intIn(rng, 1, 5);
    const name = `c${String(i).padStart(3, '0')}`;
    if (kills.has(i))
      return {
        name: `${name}-kill`,
        input: { jobId: JOB, mode: 'incremental', maxBatches: intIn(rng, 4, 10) },
        killAfterMs: intIn(rng, 30, 700),
      };
    const roll = rng();
    if (roll < 0.55) return { name: `${name}-inc`, input: { jobId: JOB, mode: 'incremental', maxBatches } };
    if (roll < 0.82)
      return { name: `${name}-retry`, input: { jobId: JOB, mode: 'retry-failed', maxBatches } };
    if (roll < 0.97) {
      const idStart = intIn(rng, 1, ITEMS);
      const idEnd = Math.min(ITEMS, idStart + intIn(rng, 0, 400));
      return {
        name: `${name}-backfill`,
        input: { jobId: JOB, mode: 'backfill', idStart, idEnd, maxBatches },
      };
    }
    const every = intIn(rng, 3, 40);
    return {
      name: `${name}-sample`,
      input: { jobId: JOB, mode: 'sample', every, limit: intIn(rng, 50, 250), maxBatches },
    };
  });
}

/** One kill round: start, SIGKILL the host at the given moment, start it again, start the same input again. */
async function killRound(step: Step): Promise<boolean> {
  runs += 1;
  const arn = await startRun(c, step.input, step.name);
  await sleep(step.killAfterMs ?? 0);
  const before = await c.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
  await killHost(host as Host);
  await boot();
  const after = await c.sfn.send(new DescribeExecutionCommand({ executionArn: arn })).catch(() => undefined);
  // A RUNNING execution that was persisted comes back ABORTED; one started just before the kill may be unknown.
  if (before.status === 'RUNNING' && after) expect(after.status).toBe('ABORTED');
  await run(`${step.name}-again`, step.input);
  return before.status === 'RUNNING';
}

/** Requeue the second job's exceptions, then delete it, both under injected faults, retried until done. */
async function requeueAndDeleteDoomed(): Promise<void> {
  const faulty = connect(
    (host as Host).state,
    chaosFaults({ seed: deriveSeed(SEED, 2), rate: 0.25, log: faultLog, by: 'test' }).hook,
  );
  const retried = async <T>(op: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await op();
      } catch (e) {
        if (!(e instanceof InjectedFaultError) && !(e instanceof JobBusyError)) throw e;
        if (e instanceof JobBusyError) await sleep(500);
      }
    }
  };
  const { datasetId } = await retried(() => requeueExceptions(faulty.deps, DOOMED));
  const records = await allExceptions(DOOMED);
  expect(records.every((x) => x.status === 'REQUEUED')).toBe(true);
  expect((await c.deps.catalog.getDataset(datasetId))?.highId, 'each exception requeued once').toBe(
    records.length,
  );
  while (await c.deps.inventory.getJob(DOOMED)) await retried(() => deleteJob(faulty.deps, DOOMED));

  const { tables } = (host as Host).state;
  for (const table of [tables.inventory, tables.exceptions]) {
    const query = {
      TableName: table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': `J#${DOOMED}` },
    };
    expect(
      (await c.clients.doc.send(new QueryCommand(query))).Items,
      `${table}: the deleted job's items`,
    ).toEqual([]);
  }
  for (const prefix of jobPrefixes(DOOMED))
    expect(await listKeys(c.clients.s3, c.deps.buckets.work, prefix)).toEqual([]);
  const after = await run('doomed-after-delete', { jobId: DOOMED, mode: 'incremental' });
  expect(after.error).toBe('JobNotFoundError');
}

async function allExceptions(jobId: string): Promise<ItemException[]> {
  const out: ItemException[] = [];
  let next: string | undefined;
  do {
    const page = await c.deps.exceptions.list(jobId, undefined, { limit: 500, next });
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

/** Incremental and retry-failed runs without faults until no batch is open and the watermark passed the end. */
async function recover(): Promise<number> {
  (host as Host).child.kill('SIGUSR2');
  await expect.poll(() => (host as Host).output().includes('FAULTS OFF')).toBe(true);
  for (let k = 0; k < 30; k++) {
    const open = await collect(c.deps.inventory.openBatches(JOB));
    if (open.length === 0 && ((await c.deps.inventory.getJob(JOB))?.watermark ?? 0) > ITEMS) return k;
    if (open.some((b) => (b.leaseExpiresAt ?? 0) >= Date.now())) await sleep(1_000);
    const mode = k % 2 === 0 ? 'incremental' : 'retry-failed';
    await run(`recover-${k}-${mode}`, { jobId: JOB, mode });
  }
  throw new Error('recovery did not close every batch in 30 runs');
}

describe('chaos: faults at every step boundary and SIGKILLs of the local mode', () => {
  it('loses no id, duplicates no output, commits each batch once and keeps every failed attempt', async () => {
    console.log(`chaos: seed=${SEED} (replay with CHAOS_SEED=${SEED})`);
    const began = Date.now();
    await boot();
    await seedDataset(c.deps, 'chaos-ds', ITEMS, { chunk: 500 });
    const spec = {
      datasetId: 'chaos-ds',
      processor: { name: 'proof-reject-97' },
      leaseSeconds: 2,
      maxConcurrency: 4,
    };
    await createJob(c.deps, { ...spec, jobId: JOB, batching: { by: 'count', size: 100 } });
    await createJob(c.deps, { ...spec, jobId: DOOMED, batching: { by: 'count', size: 50 } });
    for (const k of [0, 1, 2])
      await run(`doomed-${k}`, { jobId: DOOMED, mode: 'incremental', maxBatches: 3 });

    const steps = schedule(seeded(deriveSeed(SEED, 0)));
    let kills = 0;
    let midRun = 0;
    for (const [i, step] of steps.entries()) {
      if (step.killAfterMs === undefined || (kills >= KILLS && midRun >= KILLS))
        await run(step.name, step.input);
      else {
        kills += 1;
        if (await killRound(step)) midRun += 1;
      }
      if (i === RUNS / 2) await requeueAndDeleteDoomed();
    }
    for (let extra = 0; midRun < KILLS; extra++) {
      kills += 1;
      if (
        await killRound({
          name: `extra-${extra}-kill`,
          input: { jobId: JOB, mode: 'incremental', maxBatches: 10 },
          killAfterMs: 100,
        })
      )
        midRun += 1;
    }
    const recoveryRuns = await recover();

    const batches = await expectTiling(c.deps, JOB);
    expect((await c.deps.inventory.getJob(JOB))?.watermark).toBe(ITEMS + 1);
    expect(batches.filter((b) => b.status !== 'SUCCEEDED')).toEqual([]);
    const sampleRuns = steps.filter((s) => s.input.mode === 'sample').map((s) => s.name);
    const attempts = await collect(c.deps.inventory.attempts(JOB, { kind: 'inventory' }));
    const sampled = [];
    for (const runId of sampleRuns)
      sampled.push(...(await collect(c.deps.inventory.attempts(JOB, { kind: 'sample', runId }))));
    const exceptions = await allExceptions(JOB);
    const objects = [];
    for (const key of await listKeys(c.clients.s3, c.deps.buckets.work, `outputs/${JOB}/`)) {
      const text = await readText(c.clients.s3, c.deps.buckets.work, key);
      objects.push({
        key,
        ids: text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => (JSON.parse(l) as { id: number }).id),
      });
    }
    const outputs = checkOutputs({
      jobId: JOB,
      last: ITEMS,
      batches,
      objects,
      exceptions,
      setAside: (id) => id % REJECT_EVERY === 0,
    });
    const executions = await listExecutions(c);
    const caught = [];
    for (const e of executions)
      caught.push(...caughtFaults(await historyOf(c.sfn, e.executionArn as string)));
    const faults = readFaultLog(faultLog);
    const backfills = new Set(steps.filter((s) => s.input.mode === 'backfill').map((s) => s.name));

    console.log(
      `chaos: faults=${faults.length} runs=${runs} kills=${kills} lost=${outputs.lost.length} duplicated=${outputs.duplicated.length}`,
    );
    const took = Math.round((Date.now() - began) / 1000);
    console.log(
      `chaos: ${took} s, ${midRun} kills mid-run, ${recoveryRuns} recovery runs, ${attempts.length} attempts`,
    );
    expect(runs).toBeGreaterThanOrEqual(RUNS);
    expect(new Set(faults.map((f) => f.point))).toEqual(new Set(EVERY_POINT));
    expect(outputs.lost, 'ids lost').toEqual([]);
    expect(outputs.duplicated.slice(0, 20), 'ids duplicated').toEqual([]);
    expect(outputs.stray, 'objects for a range that is not a batch').toEqual([]);
    expect(outputs.missing, 'batches without their one output object').toEqual([]);
    expect(outputs.misplaced.slice(0, 20), 'lines in the wrong object').toEqual([]);
    expect(checkCommits(batches, attempts, backfills).slice(0, 20), 'commits per final state').toEqual([]);
    expect(
      unrecordedFaults(caught, [...attempts, ...sampled]),
      'faults after a lease missing from the history',
    ).toEqual([]);
    expect(unfencedExceptions(exceptions, [...attempts, ...sampled]), 'exceptions without a commit').toEqual(
      [],
    );
  }, 600_000);
});

/** Every named fault point of the core that the chaos reaches (plan, process, delete, requeue). */
const EVERY_POINT = [
  'plan.afterReserveNew',
  'plan.afterReserveExisting',
  'plan.afterSplit',
  'plan.afterSample',
  'plan.afterManifest',
  'process.afterAcquire',
  'process.afterOutputs',
  'process.beforeCommit',
  'process.afterCommit',
  'delete.afterMark',
  'delete.exceptionsPage',
  'delete.objectsPage',
  'delete.inventoryPage',
  'requeue.afterRegister',
];
