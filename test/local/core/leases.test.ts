import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { toAttemptItem } from '../../../core/adapters/inventory-records.ts';
import { LeaseLostError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import type { BatchScope } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import type { AcquireResult } from '../../../core/ports/index.ts';
import { collect, coreEnv, seedDataset } from '../../support/core-env.ts';

const inventory: BatchScope = { kind: 'inventory' };

async function setup(label: string) {
  const env = await coreEnv(label);
  await seedDataset(env.deps, 'ds', 300);
  await createJob(env.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 100 },
  });
  await planRun(env.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  const take = (owner: string, leaseMs = 10_000) =>
    env.deps.leases.acquire({
      jobId: 'j',
      scope: inventory,
      start: 1,
      owner,
      runId: 'run-1',
      leaseMs,
      policy: 'skip-succeeded',
    });
  return { ...env, take };
}

function granted(r: AcquireResult) {
  if (r.outcome !== 'ACQUIRED') throw new Error(`expected ACQUIRED, got ${r.outcome}`);
  return r;
}

const leaseOf = (g: ReturnType<typeof granted>, owner: string) => ({
  jobId: 'j',
  scope: inventory,
  start: 1,
  end: 100,
  token: g.token,
  attempt: g.attempt,
  startedAt: g.startedAt,
  owner,
  runId: 'run-1',
  configHash: 'hash-a',
});

describe('LeaseStore.acquire', () => {
  it('refuses a second owner while the lease is live', async () => {
    const { take } = await setup('lease-exclusive');
    const first = granted(await take('a'));
    const second = await take('b');
    expect(first.token).toBe(1);
    expect(second.outcome).toBe('BUSY');
  });

  it('lets a new owner take over an expired lease with a larger token, and logs the dead attempt', async () => {
    const { take, clock, deps } = await setup('lease-takeover');
    const a = granted(await take('a', 1000));
    clock.advance(1001);
    const b = granted(await take('b', 1000));
    expect(b.token).toBeGreaterThan(a.token);
    expect(b.attempt).toBe(2);
    expect(b.tookOverFrom).toBe('a');
    const history = await collect(deps.attempts.list('j', inventory, 1));
    expect(history.map((h) => [h.attempt, h.outcome, h.owner])).toEqual([[1, 'LEASE_EXPIRED', 'a']]);
  });

  it('skips a batch that is already done, unless a backfill asks again', async () => {
    const { take, deps } = await setup('lease-done');
    const a = granted(await take('a'));
    await deps.commits.commit({
      ...leaseOf(a, 'a'),
      itemsSucceeded: 100,
      itemsExcepted: 0,
      exceptions: [],
    });
    expect((await take('b')).outcome).toBe('ALREADY_DONE');
    const again = (policy: 'redo-unless-same-run', runId: string) =>
      deps.leases.acquire({
        jobId: 'j',
        scope: inventory,
        start: 1,
        owner: 'c',
        runId,
        leaseMs: 1000,
        policy,
      });
    expect((await again('redo-unless-same-run', 'run-1')).outcome).toBe('ALREADY_DONE');
    expect((await again('redo-unless-same-run', 'run-2')).outcome).toBe('ACQUIRED');
  });
});

describe('fencing', () => {
  it('refuses the old owner commit, heartbeat, fail and exception writes after a takeover, changing nothing', async () => {
    const { take, clock, deps } = await setup('lease-fencing');
    const a = granted(await take('a', 1000));
    clock.advance(1001);
    const b = granted(await take('b', 60_000));
    const before = await deps.batches.getBatch('j', inventory, 1);
    const stale = leaseOf(a, 'a');

    await expect(
      deps.commits.commit({
        ...stale,
        itemsSucceeded: 1,
        itemsExcepted: 1,
        exceptions: [{ itemId: 5, kind: 'k', details: {} }],
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await expect(deps.leases.heartbeat({ ...stale, leaseMs: 1000 })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(
      deps.commits.fail({ ...stale, error: { name: 'E', message: 'm' }, outcome: 'FAILED' }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    const staged = { key: 'staging/j/inventory/x.1.jsonl' };
    await expect(
      deps.commits.commit({ ...stale, itemsSucceeded: 0, itemsExcepted: 120, exceptions: [], staged }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await deps.publishes.pendingPublishes('j')).toEqual([]);

    expect(await deps.batches.getBatch('j', inventory, 1)).toEqual(before);
    expect((await deps.exceptions.list('j', {})).items).toEqual([]);
    // The new owner is undisturbed.
    await deps.commits.commit({
      ...leaseOf(b, 'b'),
      itemsSucceeded: 100,
      itemsExcepted: 0,
      exceptions: [],
    });
    expect((await deps.batches.getBatch('j', inventory, 1))?.status).toBe('SUCCEEDED');
  });

  it('refuses a commit after the lease expired even when nobody took over', async () => {
    const { take, clock, deps } = await setup('lease-expired-commit');
    const a = granted(await take('a', 1000));
    clock.advance(1001);
    await expect(
      deps.commits.commit({ ...leaseOf(a, 'a'), itemsSucceeded: 1, itemsExcepted: 0, exceptions: [] }),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('heartbeats extend a live lease', async () => {
    const { take, clock, deps } = await setup('lease-heartbeat');
    const a = granted(await take('a', 1000));
    clock.advance(800);
    await deps.leases.heartbeat({ ...leaseOf(a, 'a'), leaseMs: 1000 });
    clock.advance(800);
    expect((await take('b')).outcome).toBe('BUSY');
    await deps.commits.commit({
      ...leaseOf(a, 'a'),
      itemsSucceeded: 100,
      itemsExcepted: 0,
      exceptions: [],
    });
  });
});

describe('history', () => {
  it('keeps every attempt and its outcome, and the commit records config, run, counts and exceptions', async () => {
    // (A commit carries at most 47 exceptions; ProcessBatch stages more: test/local/core/staged-exceptions.test.ts.)
    const { take, clock, deps } = await setup('lease-history');
    const a = granted(await take('a'));
    await deps.commits.fail({
      ...leaseOf(a, 'a'),
      error: { name: 'RetryableError', message: 'throttled' },
      outcome: 'RETRY',
    });
    const b = granted(await take('b'));
    await deps.commits.fail({
      ...leaseOf(b, 'b'),
      error: { name: 'TypeError', message: 'bad' },
      outcome: 'FAILED',
    });
    expect((await deps.batches.getBatch('j', inventory, 1))?.status).toBe('FAILED');
    const c = granted(await take('c'));
    clock.advance(50);
    const many = Array.from({ length: 47 }, (_, i) => ({
      itemId: i + 1,
      kind: 'bad-address',
      details: { i },
    }));
    const commitC = (exceptions: typeof many) =>
      deps.commits.commit({
        ...leaseOf(c, 'c'),
        itemsSucceeded: 100,
        itemsExcepted: exceptions.length,
        exceptions,
        outputKey: 'outputs/j/x',
      });
    await expect(commitC([...many, { itemId: 48, kind: 'k', details: { i: 47 } }])).rejects.toBeInstanceOf(
      RangeError,
    );
    await commitC(many);

    const history = await collect(deps.attempts.list('j', inventory, 1));
    expect(history.map((h) => [h.attempt, h.outcome, h.owner, h.error?.name])).toEqual([
      [1, 'RETRY', 'a', 'RetryableError'],
      [2, 'FAILED', 'b', 'TypeError'],
      [3, 'SUCCEEDED', 'c', undefined],
    ]);
    expect(history[2]).toMatchObject({ configHash: 'hash-a', durationMs: 50, itemsExcepted: 47 });
    const batch = await deps.batches.getBatch('j', inventory, 1);
    expect(batch).toMatchObject({
      status: 'SUCCEEDED',
      configHash: 'hash-a',
      completedRunId: 'run-1',
      itemsSucceeded: 100,
      outputKey: 'outputs/j/x',
    });
    expect(batch?.leaseOwner).toBeUndefined();
    expect((await deps.exceptions.counts('j')).OPEN).toBe(47);
    expect((await collect(deps.attempts.runAttempts('j', 'run-1'))).length).toBe(3);
  });

  it('fails an abandoned attempt once, and never one a newer owner holds', async () => {
    const { take, clock, deps } = await setup('lease-abandoned');
    granted(await take('a', 1000));
    const error = { name: 'States.Timeout', message: 'timed out' };
    expect(
      await deps.attempts.failAbandoned({ jobId: 'j', scope: inventory, start: 1, runId: 'run-1', error }),
    ).toBe(true);
    expect(
      await deps.attempts.failAbandoned({ jobId: 'j', scope: inventory, start: 1, runId: 'run-1', error }),
    ).toBe(false);
    expect((await deps.batches.getBatch('j', inventory, 1))?.status).toBe('FAILED');
    clock.advance(10);
    await deps.leases.acquire({
      jobId: 'j',
      scope: inventory,
      start: 1,
      owner: 'z',
      runId: 'run-9',
      leaseMs: 1000,
      policy: 'skip-succeeded',
    });
    expect(
      await deps.attempts.failAbandoned({ jobId: 'j', scope: inventory, start: 1, runId: 'run-1', error }),
    ).toBe(false);
    expect((await deps.batches.getBatch('j', inventory, 1))?.leaseOwner).toBe('z');
  });
});

describe('mutual exclusion under concurrency', () => {
  it('grants one lease when 8 owners race for every batch', async () => {
    const { deps } = await setup('lease-race');
    for (const start of [1, 101, 201]) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          deps.leases.acquire({
            jobId: 'j',
            scope: inventory,
            start,
            owner: `w${i}`,
            runId: 'run-1',
            leaseMs: 60_000,
            policy: 'skip-succeeded',
          }),
        ),
      );
      expect(results.filter((r) => r.outcome === 'ACQUIRED')).toHaveLength(1);
    }
  });
});

describe("taking over a dead worker's lease", () => {
  it('grants one lease and logs the dead attempt once when 8 owners race to take it over', async () => {
    const { take, clock, deps } = await setup('lease-takeover-race');
    granted(await take('dead', 1000));
    clock.advance(1001);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(`w${i}`, 60_000)));
    const winners = results.filter((r) => r.outcome === 'ACQUIRED');
    expect(winners).toHaveLength(1);
    expect(winners[0]?.tookOverFrom).toBe('dead');
    expect(results.filter((r) => r.outcome !== 'ACQUIRED').map((r) => r.outcome)).toEqual(
      Array(7).fill('BUSY'),
    );
    const history = await collect(deps.attempts.list('j', inventory, 1));
    expect(history.map((h) => [h.attempt, h.outcome, h.owner])).toEqual([[1, 'LEASE_EXPIRED', 'dead']]);
  });

  it("writes the lease and the dead attempt's record together or not at all", async () => {
    const { take, clock, deps, env } = await setup('lease-takeover-atomic');
    const dead = granted(await take('dead', 1000));
    clock.advance(1001);
    // A record already where the dead attempt's goes makes the takeover's second write fail: the first must
    // not happen either.
    const squatter = toAttemptItem({
      ...leaseOf(dead, 'squatter'),
      endedAt: new Date(clock.now()).toISOString(),
      startedAt: new Date(clock.now()).toISOString(),
      outcome: 'FAILED',
      itemsSucceeded: 0,
      itemsExcepted: 0,
      durationMs: 0,
    });
    await env.clients.doc.send(new PutCommand({ TableName: env.tables.inventory, Item: squatter }));
    const before = await deps.batches.getBatch('j', inventory, 1);
    expect((await take('b', 60_000)).outcome).toBe('BUSY');
    expect(await deps.batches.getBatch('j', inventory, 1)).toEqual(before);
    const history = await collect(deps.attempts.list('j', inventory, 1));
    expect(history.map((h) => [h.attempt, h.outcome, h.owner])).toEqual([[1, 'FAILED', 'squatter']]);
  });
});
