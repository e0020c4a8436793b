import { describe, expect, it } from 'vitest';
import { ExceptionNotFoundError, ValidationError } from '../../../core/errors.ts';
import type { ExceptionStatus, ItemException } from '../../../core/model.ts';
import type { ExceptionStore } from '../../../core/ports/index.ts';
import { AT, LATER, type MakeEnv } from './contract-env.ts';

const idOf = (itemId: number, runId = 'run-1') => `${String(itemId).padStart(16, '0')}#${runId}`;

const found = (itemId: number) => ({
  itemId,
  kind: 'unparseable',
  details: { line: itemId, reason: 'bad json' },
});

/** job-1: items 1-5 of run-1 and item 3 of run-2; job-2: item 1 of run-1; all found in the batch at 1. */
async function setup(makeEnv: MakeEnv, label: string): Promise<ExceptionStore> {
  const { deps } = await makeEnv(label);
  await deps.exceptions.putCommitted('job-1', 'run-1', 1, [1, 2, 3, 4, 5].map(found), AT);
  await deps.exceptions.putCommitted('job-1', 'run-2', 1, [found(3)], AT);
  await deps.exceptions.putCommitted('job-2', 'run-1', 1, [found(1)], AT);
  return deps.exceptions;
}

async function listAll(store: ExceptionStore, jobId: string, status?: ExceptionStatus, limit = 2) {
  const all: ItemException[] = [];
  const sizes: number[] = [];
  let next: string | undefined;
  do {
    const page = await store.list(jobId, status, { limit, next });
    all.push(...page.items);
    sizes.push(page.items.length);
    next = page.next;
  } while (next);
  return { all, sizes };
}

/**
 * ExceptionStore: committed exceptions written only if absent, listings in (item, run) order with cursors of
 * their own listing, an exception leaving OPEN once. Runs on the fakes and on the DynamoDB adapter.
 */
export function describeExceptionContract(name: string, makeEnv: MakeEnv): void {
  describe(`ExceptionStore on ${name}`, () => {
    describe('ExceptionStore.putCommitted', () => {
      it('writes each exception OPEN, one record per item and run', async () => {
        const store = await setup(makeEnv, 'exceptions-put');

        expect(await store.get('job-1', idOf(3, 'run-2'))).toEqual({
          jobId: 'job-1',
          exceptionId: idOf(3, 'run-2'),
          itemId: 3,
          runId: 'run-2',
          batchStart: 1,
          kind: 'unparseable',
          details: { line: 3, reason: 'bad json' },
          status: 'OPEN',
          createdAt: AT,
        });
        expect(await store.get('job-1', idOf(9))).toBeUndefined();
      });

      it('never reopens an exception resolved meanwhile when the same ones are published again', async () => {
        const store = await setup(makeEnv, 'exceptions-put-again');
        await store.resolve('job-1', idOf(2), 'fine', LATER);

        await store.putCommitted(
          'job-1',
          'run-1',
          1,
          [{ itemId: 2, kind: 'other', details: {} }, found(6)],
          LATER,
        );

        expect(await store.get('job-1', idOf(2))).toMatchObject({ status: 'RESOLVED', kind: 'unparseable' });
        expect((await store.get('job-1', idOf(6)))?.status).toBe('OPEN');
      });

      it('rejects a bad exception before writing any of the list', async () => {
        const store = await setup(makeEnv, 'exceptions-put-bad');

        const error = await store
          .putCommitted('job-1', 'run-1', 1, [found(7), { itemId: 0, kind: 'k', details: {} }], AT)
          .catch((e) => e);

        expect(error).toBeInstanceOf(ValidationError);
        expect(error.field).toBe('itemId');
        expect(await store.get('job-1', idOf(7))).toBeUndefined();
      });

      it('keeps oversized details as a preview', async () => {
        const store = await setup(makeEnv, 'exceptions-put-big');

        await store.putCommitted(
          'job-1',
          'run-1',
          1,
          [{ itemId: 8, kind: 'k', details: { blob: 'x'.repeat(100_000) } }],
          AT,
        );

        expect((await store.get('job-1', idOf(8)))?.details).toMatchObject({
          truncated: true,
          bytes: 100_011,
        });
      });
    });

    describe('ExceptionStore.list', () => {
      it('pages through every exception of a job in (item, run) order', async () => {
        const store = await setup(makeEnv, 'exceptions-list');

        const { all } = await listAll(store, 'job-1');

        expect(all.map((x) => x.exceptionId)).toEqual([
          idOf(1),
          idOf(2),
          idOf(3),
          idOf(3, 'run-2'),
          idOf(4),
          idOf(5),
        ]);
      });

      it('ends a listing whose last page is full with a cursor to an empty page', async () => {
        const store = await setup(makeEnv, 'exceptions-list-full');

        expect((await listAll(store, 'job-1', undefined, 3)).sizes).toEqual([3, 3, 0]);
        expect((await listAll(store, 'job-1', 'OPEN', 3)).sizes).toEqual([3, 3, 0]);
        expect((await listAll(store, 'job-1', undefined, 4)).sizes).toEqual([4, 2]);
      });

      it('lists one status at a time', async () => {
        const store = await setup(makeEnv, 'exceptions-list-status');
        await store.resolve('job-1', idOf(2), 'known upstream bug', LATER);
        await store.resolve('job-1', idOf(4), 'ok', LATER);

        expect((await listAll(store, 'job-1', 'RESOLVED', 1)).all.map((x) => x.itemId)).toEqual([2, 4]);
        expect((await listAll(store, 'job-1', 'OPEN')).all.map((x) => x.itemId)).toEqual([1, 3, 3, 5]);
        expect((await listAll(store, 'job-1', 'REQUEUED')).all).toEqual([]);
      });

      it('rejects a bad cursor, a cursor of another listing, and a bad limit', async () => {
        const store = await setup(makeEnv, 'exceptions-list-cursor');
        const ofJob1 = (await store.list('job-1', undefined, { limit: 1 })).next;
        const ofOpen = (await store.list('job-1', 'OPEN', { limit: 1 })).next;

        for (const [jobId, status, next] of [
          ['job-1', undefined, '%%%'],
          ['job-2', undefined, ofJob1],
          ['job-1', undefined, ofOpen],
          ['job-1', 'RESOLVED', ofOpen],
        ] as const) {
          await expect(store.list(jobId, status, { next })).rejects.toMatchObject({
            name: 'ValidationError',
            field: 'next',
          });
        }
        await expect(store.list('job-1', undefined, { limit: 0 })).rejects.toMatchObject({ field: 'limit' });
        await expect(store.list('job-1', 'LOST' as ExceptionStatus)).rejects.toMatchObject({
          field: 'status',
        });
      });
    });

    describe('ExceptionStore.resolve and markRequeued', () => {
      it('resolves an OPEN exception once, with the note', async () => {
        const store = await setup(makeEnv, 'exceptions-resolve');

        const resolved = await store.resolve('job-1', idOf(2), 'fixed by hand', LATER);
        const again = await store.resolve('job-1', idOf(2), 'twice', LATER).catch((e: unknown) => e);

        expect(resolved).toMatchObject({ status: 'RESOLVED', note: 'fixed by hand', resolvedAt: LATER });
        expect(await store.get('job-1', idOf(2))).toEqual(resolved);
        expect(again).toBeInstanceOf(ValidationError);
        expect((again as ValidationError).violations).toEqual([
          { field: 'status', rule: 'must be OPEN to resolve (is RESOLVED)' },
        ]);
      });

      it('requeues an OPEN exception once and refuses to resolve it afterwards', async () => {
        const store = await setup(makeEnv, 'exceptions-requeue');
        const target = { datasetId: 'job-1.exceptions', id: 1 };

        const requeued = await store.markRequeued('job-1', idOf(3), target, LATER);

        expect(requeued).toMatchObject({ status: 'REQUEUED', requeuedAs: target, resolvedAt: LATER });
        await expect(store.markRequeued('job-1', idOf(3), { ...target, id: 2 }, LATER)).rejects.toMatchObject(
          {
            violations: [{ field: 'status', rule: 'must be OPEN to requeue (is REQUEUED)' }],
          },
        );
        await expect(store.resolve('job-1', idOf(3), 'late', LATER)).rejects.toMatchObject({
          violations: [{ field: 'status', rule: 'must be OPEN to resolve (is REQUEUED)' }],
        });
      });

      it('answers an unknown exception with ExceptionNotFoundError and creates nothing', async () => {
        const store = await setup(makeEnv, 'exceptions-unknown');

        await expect(store.resolve('job-1', idOf(99), 'x', LATER)).rejects.toBeInstanceOf(
          ExceptionNotFoundError,
        );
        await expect(
          store.markRequeued('job-3', idOf(1), { datasetId: 'd', id: 1 }, LATER),
        ).rejects.toBeInstanceOf(ExceptionNotFoundError);

        expect(await store.get('job-1', idOf(99))).toBeUndefined();
        expect(await store.counts('job-3')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0 });
      });

      it('rejects a malformed id, an empty note and a bad target before writing', async () => {
        const store = await setup(makeEnv, 'exceptions-bad-input');

        await expect(store.resolve('job-1', '12#run-1', 'x', LATER)).rejects.toMatchObject({
          field: 'exceptionId',
        });
        await expect(store.get('job-1', '12#run-1')).rejects.toMatchObject({ field: 'exceptionId' });
        await expect(store.resolve('job-1', idOf(1), '', LATER)).rejects.toMatchObject({ field: 'note' });
        await expect(
          store.markRequeued('job-1', idOf(1), { datasetId: 'd', id: 0 }, LATER),
        ).rejects.toMatchObject({
          field: 'requeuedAs.id',
        });
        expect((await store.get('job-1', idOf(1)))?.status).toBe('OPEN');
      });
    });

    describe('ExceptionStore.counts and deletePage', () => {
      it('counts exceptions per status', async () => {
        const store = await setup(makeEnv, 'exceptions-counts');
        await store.resolve('job-1', idOf(1), 'ok', LATER);
        await store.markRequeued('job-1', idOf(2), { datasetId: 'r', id: 1 }, LATER);

        expect(await store.counts('job-1')).toEqual({ OPEN: 4, RESOLVED: 1, REQUEUED: 1 });
        expect(await store.counts('job-9')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0 });
      });

      it('deletes a job’s exceptions a page at a time, leaving other jobs alone', async () => {
        const store = await setup(makeEnv, 'exceptions-delete');
        await store.putCommitted(
          'job-1',
          'run-3',
          1,
          Array.from({ length: 40 }, (_, i) => found(100 + i)),
          AT,
        );

        const deleted = [
          await store.deletePage('job-1', 30),
          await store.deletePage('job-1', 30),
          await store.deletePage('job-1', 30),
        ];

        expect(deleted).toEqual([30, 16, 0]);
        expect(await store.counts('job-1')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0 });
        expect((await store.list('job-2', undefined)).items).toHaveLength(1);
      });
    });
  });
}
