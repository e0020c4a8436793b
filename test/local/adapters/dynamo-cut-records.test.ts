import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoCutStore } from '../../../core/adapters/dynamo-cut-records.ts';
import { keys } from '../../../core/contracts/tables.ts';
import {
  BatchNotFoundError,
  ContentionError,
  JobDeletingError,
  JobNotFoundError,
  ValidationError,
} from '../../../core/errors.ts';
import type { NewBatch, NewCut } from '../../../core/ports/index.ts';
import { acquireBatch, type CoreEnv, collect, coreEnv, seedJob } from '../../support/core-env.ts';
import { expectTiling } from '../../support/inventory-checks.ts';
import { countRequests } from '../../support/local.ts';

const AT = '2026-01-01T00:00:00.000Z';
const RESERVED_UNTIL = Date.parse(AT) + 15 * 60_000;

/** `n` adjacent batches of `size` ids from `from`, each of weight `size`. */
const batchesFrom = (from: number, n: number, size = 10): NewBatch[] =>
  Array.from({ length: n }, (_, k) => ({
    start: from + k * size,
    end: from + (k + 1) * size - 1,
    stride: 1,
    count: size,
    weight: size,
  }));

const cutOf = (from: number, n: number, extra: Partial<NewCut> = {}): NewCut => ({
  jobId: 'j',
  from,
  batches: batchesFrom(from, n),
  runId: 'run-1',
  reservedUntil: RESERVED_UNTIL,
  at: AT,
  ...extra,
});

/** A fresh environment with job `j` over a data set of 1000 records; its watermark is 1. */
async function withJob(label: string): Promise<CoreEnv> {
  const e = await coreEnv(label);
  await seedJob(e.deps, { ids: 1000, size: 10 });
  return e;
}

const watermarkOf = async (e: CoreEnv, jobId = 'j') => (await e.deps.jobs.getJob(jobId))?.watermark;
const batchesOf = (e: CoreEnv, jobId = 'j') => collect(e.deps.batches.list(jobId, { kind: 'inventory' }));

/** A cut record of job `j` from 1 written as is, `batches` and all, past the adapter's checks. */
async function putRawCut(e: CoreEnv, batches: unknown): Promise<void> {
  const item = {
    ...keys.cut('j', 1),
    kind: 'cut',
    jobId: 'j',
    from: 1,
    runId: 'run-1',
    reservedUntil: RESERVED_UNTIL,
    at: AT,
  };
  await e.env.clients.doc.send(
    new PutCommand({ TableName: e.env.tables.inventory, Item: { ...item, batches } }),
  );
}

/** Delete the job's partition page by page (keeping META), as deleteJob does once the job is DELETING. */
async function deleteAllButMeta(e: CoreEnv, jobId = 'j'): Promise<void> {
  while ((await e.deps.jobs.deletePage(jobId, 100)) > 0) {
    // until the page comes back empty
  }
}

describe('CutStore.cutNew', () => {
  it('moves the watermark to the end of the last batch plus one and records the cut, creating no batch yet', async () => {
    const e = await withJob('cut-new-records');
    const cut = cutOf(1, 3);

    const won = await e.deps.cuts.cutNew(cut);

    expect(won).toBe(true);
    expect(await watermarkOf(e)).toBe(31);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([cut]);
    expect(await batchesOf(e)).toEqual([]);
  });

  it('lets one of two planners cutting from the same watermark win and tells the other it lost', async () => {
    const e = await withJob('cut-new-race');
    const a = cutOf(1, 3, { runId: 'run-a' });
    const b = cutOf(1, 5, { runId: 'run-b' });

    const [wonA, wonB] = await Promise.all([e.deps.cuts.cutNew(a), e.deps.cuts.cutNew(b)]);

    expect([wonA, wonB].filter(Boolean)).toHaveLength(1);
    const winner = wonA ? a : b;
    expect(await watermarkOf(e)).toBe((winner.batches.at(-1)?.end ?? 0) + 1);
    const pending = await collect(e.deps.cuts.pendingCuts('j'));
    expect(pending).toEqual([winner]);
  });

  it('returns false to a planner that read a watermark another one has moved since', async () => {
    const e = await withJob('cut-new-stale');
    expect(await e.deps.cuts.cutNew(cutOf(1, 3, { runId: 'run-a' }))).toBe(true);

    const won = await e.deps.cuts.cutNew(cutOf(1, 5, { runId: 'run-b' }));

    expect(won).toBe(false);
    expect(await watermarkOf(e)).toBe(31);
    const pending = await collect(e.deps.cuts.pendingCuts('j'));
    expect(pending.map((c) => c.runId)).toEqual(['run-a']);
  });

  it('refuses a job being deleted and writes nothing', async () => {
    const e = await withJob('cut-new-deleting');
    await e.deps.jobs.markJobDeleting('j', AT);

    await expect(e.deps.cuts.cutNew(cutOf(1, 3))).rejects.toThrow(JobDeletingError);

    expect(await watermarkOf(e)).toBe(1);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('refuses a missing job and writes nothing', async () => {
    const e = await withJob('cut-new-missing');

    await expect(e.deps.cuts.cutNew(cutOf(1, 3, { jobId: 'nope' }))).rejects.toThrow(JobNotFoundError);

    expect(await e.deps.jobs.getJob('nope')).toBeUndefined();
    expect(await collect(e.deps.cuts.pendingCuts('nope'))).toEqual([]);
  });
});

describe('CutStore.createCut', () => {
  it('creates every batch of the cut as PENDING, reserved for its run, and drops the cut', async () => {
    const e = await withJob('create-cut');
    const cut = cutOf(1, 4, { runId: 'run-7', at: '2026-01-01T00:05:00.000Z' });
    await e.deps.cuts.cutNew(cut);

    await e.deps.cuts.createCut(cut);

    const batches = await expectTiling(e.deps, 'j');
    expect(batches.map((b) => [b.start, b.end])).toEqual(cut.batches.map((b) => [b.start, b.end]));
    for (const [i, b] of batches.entries()) {
      expect(b).toMatchObject({
        jobId: 'j',
        scope: { kind: 'inventory' },
        ...cut.batches[i],
        status: 'PENDING',
        reservedBy: 'run-7',
        reservedUntil: cut.reservedUntil,
        plannedAt: '2026-01-01T00:05:00.000Z',
      });
    }
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('creates consecutive cuts that tile the job from its firstId to the watermark', async () => {
    const e = await withJob('create-cut-tiling');
    const first = cutOf(1, 99);
    await e.deps.cuts.cutNew(first);
    await e.deps.cuts.createCut(first);
    const second = cutOf(991, 1);

    await e.deps.cuts.cutNew(second);
    await e.deps.cuts.createCut(second);

    const batches = await expectTiling(e.deps, 'j');
    expect(batches).toHaveLength(100);
    expect(await watermarkOf(e)).toBe(1001);
  });

  it('succeeds and changes nothing when the cut was already created, by itself or by a second planner', async () => {
    const e = await withJob('create-cut-twice');
    const cut = cutOf(1, 3);
    await e.deps.cuts.cutNew(cut);
    const [recorded] = await collect(e.deps.cuts.pendingCuts('j'));
    await e.deps.cuts.createCut(cut);
    const before = await batchesOf(e);

    await e.deps.cuts.createCut(cut);
    // A planner finishing the cut of one it took for dead, from the record it read before the cut was created.
    await e.deps.cuts.createCut({ ...(recorded as NewCut) });

    expect(await batchesOf(e)).toEqual(before);
    expect(before.map((b) => b.reservedBy)).toEqual(['run-1', 'run-1', 'run-1']);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    expect(await watermarkOf(e)).toBe(31);
  });

  it('refuses a cut that a deletion removed and creates no batch of it', async () => {
    const e = await withJob('create-cut-deleted');
    const cut = cutOf(1, 3);
    await e.deps.cuts.cutNew(cut);
    await e.deps.jobs.markJobDeleting('j', AT);
    await deleteAllButMeta(e);

    await expect(e.deps.cuts.createCut(cut)).rejects.toThrow(JobDeletingError);

    expect(await batchesOf(e)).toEqual([]);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('refuses a cut of a missing job', async () => {
    const e = await withJob('create-cut-missing');

    await expect(e.deps.cuts.createCut(cutOf(1, 3, { jobId: 'nope' }))).rejects.toThrow(JobNotFoundError);

    expect(await batchesOf(e, 'nope')).toEqual([]);
  });
});

/**
 * The adapter's createCut over the environment's document client, with DynamoDB answering the first `conflicts`
 * transactions with a TransactionConflict cancellation (another transaction on one of the items), as AWS does.
 */
function createCutWithConflicts(e: CoreEnv, conflicts: number) {
  const real = e.env.clients.doc;
  let left = conflicts;
  let sent = 0;
  const doc = {
    send: (command: { constructor: { name: string }; input: { TransactItems?: unknown[] } }) => {
      if (command.constructor.name !== 'TransactWriteCommand') return real.send(command as never);
      sent++;
      if (left-- <= 0) return real.send(command as never);
      const reasons = (command.input.TransactItems ?? []).map((_, i) => ({
        Code: i === 1 ? 'TransactionConflict' : 'None',
      }));
      return Promise.reject(
        Object.assign(new Error('cancelled'), {
          name: 'TransactionCanceledException',
          CancellationReasons: reasons,
        }),
      );
    },
  } as unknown as DynamoDBDocumentClient;
  const ctx = {
    doc,
    table: e.env.tables.inventory,
    exceptionsTable: e.env.tables.exceptions,
    clock: e.clock,
  };
  const cuts = new DynamoCutStore(ctx);
  return { create: (cut: NewCut) => cuts.createCut(cut), sent: () => sent };
}

describe('CutStore.createCut under transaction conflicts', () => {
  it('tries again after a TransactionConflict and creates the cut once', async () => {
    const e = await withJob('cut-conflict-retry');
    const cut = cutOf(1, 3);
    expect(await e.deps.cuts.cutNew(cut)).toBe(true);
    const conflicted = createCutWithConflicts(e, 2);

    await conflicted.create(cut);

    expect(conflicted.sent()).toBe(3);
    expect((await batchesOf(e)).map((b) => b.start)).toEqual([1, 11, 21]);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('gives up with a ContentionError after five conflicts, the cut still recorded for the next plan', async () => {
    const e = await withJob('cut-conflict-give-up');
    const cut = cutOf(1, 3);
    expect(await e.deps.cuts.cutNew(cut)).toBe(true);
    const conflicted = createCutWithConflicts(e, 99);

    await expect(conflicted.create(cut)).rejects.toBeInstanceOf(ContentionError);

    expect(conflicted.sent()).toBe(5);
    expect(await batchesOf(e)).toEqual([]);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toHaveLength(1);
  });
});

describe('CutStore cuts', () => {
  const bad: Array<[string, NewCut]> = [
    ['no batch', cutOf(1, 1, { batches: [] })],
    ['100 batches', cutOf(1, 100)],
    ['a first batch that does not start at from', cutOf(1, 3, { batches: batchesFrom(2, 3) })],
  ];

  for (const [what, cut] of bad) {
    it(`rejects a cut with ${what} as a RangeError before any request`, async () => {
      const e = await withJob(`cut-bad-${what}`);
      const requests = countRequests(e.env);

      try {
        await expect(e.deps.cuts.cutNew(cut)).rejects.toThrow(RangeError);
        await expect(e.deps.cuts.createCut(cut)).rejects.toThrow(RangeError);
      } finally {
        requests.stop();
      }

      expect(requests.counts).toEqual({});
      expect(await watermarkOf(e)).toBe(1);
      expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
      expect(await batchesOf(e)).toEqual([]);
    });
  }

  it('accepts a cut of 99 batches, the most one transaction can create with the cut record', async () => {
    const e = await withJob('cut-max');
    const cut = cutOf(1, 99);

    expect(await e.deps.cuts.cutNew(cut)).toBe(true);
    await e.deps.cuts.createCut(cut);

    expect(await batchesOf(e)).toHaveLength(99);
    expect(await watermarkOf(e)).toBe(991);
  });

  it('keeps the cut record under the key of its watermark', async () => {
    const e = await withJob('cut-key');
    await e.deps.cuts.cutNew(cutOf(1, 2));

    const raw = await e.env.clients.doc.send(
      new GetCommand({ TableName: e.env.tables.inventory, Key: keys.cut('j', 1), ConsistentRead: true }),
    );

    expect(raw.Item).toMatchObject({ jobId: 'j', from: 1, runId: 'run-1' });
  });

  it('reads a malformed cut record as a ValidationError naming the field', async () => {
    const e = await withJob('cut-malformed');
    await putRawCut(e, [[1, 10, 1, 'ten', 10]]);

    const read = collect(e.deps.cuts.pendingCuts('j'));

    await expect(read).rejects.toThrow(ValidationError);
    const error = (await read.catch((err: unknown) => err)) as ValidationError;
    expect(error.violations.map((v) => v.field)).toContain('batches.0.3');
    expect(error.message).toContain('batches');
  });

  it('reads a cut record whose batches are not a list as a ValidationError naming batches', async () => {
    const e = await withJob('cut-not-a-list');
    await putRawCut(e, '1-10');

    await expect(collect(e.deps.cuts.pendingCuts('j'))).rejects.toMatchObject({
      name: 'ValidationError',
      violations: [expect.objectContaining({ field: 'batches' })],
    });
  });
});

describe('CutStore.finishCut', () => {
  it('creates a recorded cut exactly as createCut does', async () => {
    const e = await withJob('finish-cut');
    const cut = cutOf(1, 3, { runId: 'run-3' });
    await e.deps.cuts.cutNew(cut);

    await e.deps.cuts.finishCut('j', 1);

    const batches = await expectTiling(e.deps, 'j');
    expect(batches.map((b) => [b.start, b.status, b.reservedBy])).toEqual([
      [1, 'PENDING', 'run-3'],
      [11, 'PENDING', 'run-3'],
      [21, 'PENDING', 'run-3'],
    ]);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('reads and writes nothing more when the cut is no longer recorded', async () => {
    const e = await withJob('finish-cut-gone');
    const cut = cutOf(1, 3);
    await e.deps.cuts.cutNew(cut);
    await e.deps.cuts.createCut(cut);
    const before = await batchesOf(e);
    const requests = countRequests(e.env);

    await e.deps.cuts.finishCut('j', 1);
    await e.deps.cuts.finishCut('j', 500);

    requests.stop();
    expect(requests.counts).toEqual({ GetItemCommand: 2 });
    expect(await batchesOf(e)).toEqual(before);
  });

  it('reads a malformed cut record as a ValidationError and creates nothing', async () => {
    const e = await withJob('finish-cut-malformed');
    await putRawCut(e, [[1, 10, 1, 'ten', 10]]);

    await expect(e.deps.cuts.finishCut('j', 1)).rejects.toBeInstanceOf(ValidationError);
    expect(await batchesOf(e)).toEqual([]);
  });
});

describe('acquireBatch with the cut of a batch not yet created', () => {
  it('creates the cut and takes the lease on its batch', async () => {
    const e = await withJob('acquire-cut');
    await e.deps.cuts.cutNew(cutOf(1, 5));

    const got = await acquireBatch(e.deps, 21, 1);

    expect(got.outcome).toBe('ACQUIRED');
    expect(got.batch).toMatchObject({ start: 21, end: 30, status: 'RUNNING', leaseOwner: 'w' });
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    expect(await batchesOf(e)).toHaveLength(5);
  });

  it('answers BatchNotFoundError when the cut holds no such batch, or without a cut', async () => {
    const e = await withJob('acquire-cut-missing');
    await e.deps.cuts.cutNew(cutOf(1, 2));

    await expect(acquireBatch(e.deps, 500)).rejects.toBeInstanceOf(BatchNotFoundError);
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toHaveLength(1);
    await expect(acquireBatch(e.deps, 500, 1)).rejects.toBeInstanceOf(BatchNotFoundError);
    // The cut was created on the way: it was the batch's claim to exist, not its own.
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('answers BatchNotFoundError when a deletion removed the cut, creating nothing', async () => {
    const e = await withJob('acquire-cut-deleting');
    await e.deps.cuts.cutNew(cutOf(1, 2));
    await e.deps.jobs.markJobDeleting('j', AT);
    await e.env.clients.doc.send(
      new DeleteCommand({ TableName: e.env.tables.inventory, Key: keys.cut('j', 1) }),
    );

    await expect(acquireBatch(e.deps, 1, 1)).rejects.toBeInstanceOf(BatchNotFoundError);
    expect(await batchesOf(e)).toEqual([]);
  });
});
