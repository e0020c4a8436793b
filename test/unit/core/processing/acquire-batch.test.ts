import { describe, expect, it } from 'vitest';
import { BatchNotFoundError } from '../../../../core/errors.ts';
import { cutOf } from '../../../support/contracts/contract-env.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { collect, heldLease, seedJob, takeBatch } from '../../../support/seed-data.ts';

/** Job `j` over 1000 ids in batches of 10, nothing planned: its watermark is 1. */
async function withJob(): Promise<FakeDeps> {
  const deps = fakeDeps();
  await seedJob(deps, { ids: 1000, size: 10 });
  return deps;
}

const batchesOf = (deps: FakeDeps) => collect(deps.batches.list('j', { kind: 'inventory' }));

describe('acquireBatch', () => {
  it('takes the lease of a batch that has a record at once, leaving a cut it names alone', async () => {
    const deps = await withJob();
    const first = cutOf(1, 2);
    await deps.cuts.cutNew(first);
    await deps.cuts.createCut(first);
    await deps.cuts.cutNew(cutOf(21, 2));

    const got = await takeBatch(deps, 11, { cut: 21 });

    expect(got.outcome).toBe('ACQUIRED');
    expect((await collect(deps.cuts.pendingCuts('j'))).map((c) => c.from)).toEqual([21]);
  });

  it('creates the recorded cut of a batch with no record and takes its lease', async () => {
    const deps = await withJob();
    await deps.cuts.cutNew(cutOf(1, 5));

    const got = await takeBatch(deps, 21, { cut: 1 });

    expect(got.outcome).toBe('ACQUIRED');
    expect(got.batch).toMatchObject({ start: 21, end: 30, status: 'RUNNING', leaseOwner: 'w', token: 1 });
    expect(await collect(deps.cuts.pendingCuts('j'))).toEqual([]);
    expect((await batchesOf(deps)).map((b) => [b.start, b.status])).toEqual([
      [1, 'PENDING'],
      [11, 'PENDING'],
      [21, 'RUNNING'],
      [31, 'PENDING'],
      [41, 'PENDING'],
    ]);
  });

  it('answers BatchNotFoundError when no cut holds the batch, or when it names none', async () => {
    const deps = await withJob();
    await deps.cuts.cutNew(cutOf(1, 2));

    await expect(takeBatch(deps, 500)).rejects.toBeInstanceOf(BatchNotFoundError);
    expect(await collect(deps.cuts.pendingCuts('j'))).toHaveLength(1);
    await expect(takeBatch(deps, 500, { cut: 1 })).rejects.toMatchObject({
      name: 'BatchNotFoundError',
      context: { jobId: 'j', batchStart: 500, scope: 'inventory' },
    });
    // The cut was created on the way: it was the batch's claim to exist, not its own.
    expect(await collect(deps.cuts.pendingCuts('j'))).toEqual([]);
  });

  it('answers BatchNotFoundError when a deletion removed the cut, creating nothing', async () => {
    const deps = await withJob();
    await deps.cuts.cutNew(cutOf(1, 2));
    await deps.jobs.markJobDeleting('j', new Date(deps.clock.now()).toISOString());
    while ((await deps.jobs.deletePage('j', 100)) > 0) {
      // until the job's partition holds only its record
    }

    await expect(takeBatch(deps, 1, { cut: 1 })).rejects.toBeInstanceOf(BatchNotFoundError);

    expect(await batchesOf(deps)).toEqual([]);
  });

  it('passes on the store’s BUSY and ALREADY_DONE', async () => {
    const deps = await withJob();
    await deps.cuts.cutNew(cutOf(1, 2));
    await takeBatch(deps, 1, { cut: 1 });
    const held = heldLease(await takeBatch(deps, 11, { cut: 1 }));
    await deps.commits.commit({ ...held, itemsSucceeded: 10, itemsExcepted: 0, exceptions: [] });

    const busy = await takeBatch(deps, 1, { cut: 1, owner: 'other' });
    const done = await takeBatch(deps, 11, { cut: 1, owner: 'other' });

    expect([busy.outcome, done.outcome]).toEqual(['BUSY', 'ALREADY_DONE']);
  });
});
