import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import type { ExceptionStatus, ItemException } from '../../../core/model.ts';
import type { ExceptionQuery, ExceptionStore, OccurrenceRef } from '../../../core/ports/index.ts';
import { AT, LATER, type MakeEnv } from './contract-env.ts';

const idOf = (itemId: number) => String(itemId).padStart(16, '0');
const EVEN_LATER = '2026-01-03T00:00:00.000Z';

const found = (itemId: number, kind = 'unparseable') => ({
  itemId,
  kind,
  details: { line: itemId, reason: 'bad json' },
});

const ref = (runId: string, token = 1, jobId = 'job-1', start = 1): OccurrenceRef => ({
  jobId,
  scope: { kind: 'inventory' },
  runId,
  start,
  token,
});

const ALL_ZERO = { OPEN: 0, RESOLVED: 0, REQUEUED: 0, SUPERSEDED: 0 };

/** job-1: items 1-5 set aside by run-1, item 3 again by run-2 (later); job-2: item 1 by run-1. */
async function setup(makeEnv: MakeEnv, label: string): Promise<ExceptionStore> {
  const { deps } = await makeEnv(label);
  await deps.exceptions.putCommitted(
    ref('run-1'),
    [1, 2, 3, 4, 5].map((i) => found(i)),
    AT,
  );
  await deps.exceptions.putCommitted(ref('run-2', 2), [found(3, 'timeout')], LATER);
  await deps.exceptions.putCommitted(ref('run-1', 1, 'job-2'), [found(1)], AT);
  return deps.exceptions;
}

async function listAll(store: ExceptionStore, jobId: string, query: ExceptionQuery = {}, limit = 2) {
  const all: ItemException[] = [];
  const sizes: number[] = [];
  let next: string | undefined;
  do {
    const page = await store.list(jobId, query, { limit, next });
    all.push(...page.items);
    sizes.push(page.items.length);
    next = page.next;
  } while (next);
  return { all, sizes };
}

const resolve = (store: ExceptionStore, itemId: number, note = 'ok', at = LATER) =>
  store.decide('job-1', [{ exceptionId: idOf(itemId), to: 'RESOLVED', note }], at);

/**
 * ExceptionStore: one record per (job, item) with each occurrence kept, an occurrence published once, listings
 * in item order with cursors of their own listing, a decision only on an OPEN record, superseding only what a
 * commit processed. Runs on the fakes and on the DynamoDB adapter.
 */
export function describeExceptionContract(name: string, makeEnv: MakeEnv): void {
  describe(`ExceptionStore on ${name}`, () => {
    describe('ExceptionStore.putCommitted', () => {
      it('keeps one OPEN record per item, describing its latest occurrence, and every occurrence', async () => {
        const store = await setup(makeEnv, 'exceptions-put');

        expect(await store.get('job-1', idOf(3))).toEqual({
          jobId: 'job-1',
          exceptionId: idOf(3),
          itemId: 3,
          runId: 'run-2',
          batchStart: 1,
          kind: 'timeout',
          details: { line: 3, reason: 'bad json' },
          status: 'OPEN',
          createdAt: AT,
          lastSeenAt: LATER,
          occurrences: 2,
          lastOccurrence: `run-2#${idOf(1)}#2`,
          requeues: 0,
        });
        expect((await store.occurrences('job-1', '3')).map((o) => [o.runId, o.token, o.kind, o.at])).toEqual([
          ['run-1', 1, 'unparseable', AT],
          ['run-2', 2, 'timeout', LATER],
        ]);
        expect(await store.get('job-1', idOf(9))).toBeUndefined();
        expect((await store.counts('job-1')).OPEN).toBe(5);
      });

      it('writes an occurrence once: publishing the same attempt again changes nothing', async () => {
        const store = await setup(makeEnv, 'exceptions-put-again');
        await resolve(store, 2, 'fine');

        await store.putCommitted(ref('run-1'), [found(2, 'other'), found(6)], LATER);

        expect(await store.get('job-1', idOf(2))).toMatchObject({ status: 'RESOLVED', occurrences: 1 });
        expect((await store.get('job-1', idOf(6)))?.status).toBe('OPEN');
        expect(await store.occurrences('job-1', idOf(2))).toHaveLength(1);
      });

      it('reopens a reviewed record when a later attempt sets the item aside again', async () => {
        const store = await setup(makeEnv, 'exceptions-reopen');
        await resolve(store, 2, 'looked fine');

        await store.putCommitted(ref('run-3', 3), [found(2, 'again')], EVEN_LATER);

        expect(await store.get('job-1', idOf(2))).toMatchObject({
          status: 'OPEN',
          kind: 'again',
          occurrences: 2,
          runId: 'run-3',
          note: 'looked fine',
        });
        expect((await store.counts('job-1')).OPEN).toBe(5);
      });

      it('keeps an older occurrence published late in the history without reopening the record', async () => {
        const store = await setup(makeEnv, 'exceptions-late');
        // Item 3's record holds run-2's occurrence at LATER; an attempt of AT publishes only now.
        await store.putCommitted(ref('run-9', 9), [found(3, 'late')], AT);

        expect(await store.get('job-1', idOf(3))).toMatchObject({
          status: 'OPEN',
          kind: 'timeout',
          occurrences: 2,
        });
        expect(await store.occurrences('job-1', idOf(3))).toHaveLength(3);
      });

      it('keeps a sample run’s exceptions apart from the job’s queue', async () => {
        const store = await setup(makeEnv, 'exceptions-sample');
        const sample: OccurrenceRef = { ...ref('sample-1'), scope: { kind: 'sample', runId: 'sample-1' } };

        await store.putCommitted(sample, [found(3), found(7)], LATER);

        expect((await store.counts('job-1')).OPEN).toBe(5);
        expect((await listAll(store, 'job-1')).all.map((x) => x.itemId)).toEqual([1, 2, 3, 4, 5]);
        const inSample = (await listAll(store, 'job-1', { sampleRunId: 'sample-1' })).all;
        expect(inSample.map((x) => [x.exceptionId, x.sampleRunId])).toEqual([
          [`S#sample-1#${idOf(3)}`, 'sample-1'],
          [`S#sample-1#${idOf(7)}`, 'sample-1'],
        ]);
        expect(await store.get('job-1', `S#sample-1#${idOf(7)}`)).toMatchObject({
          status: 'OPEN',
          occurrences: 1,
        });
        await expect(
          store.decide('job-1', [{ exceptionId: `S#sample-1#${idOf(7)}`, to: 'RESOLVED', note: 'x' }], LATER),
        ).rejects.toMatchObject({ field: 'exceptionId' });
      });

      it('rejects a bad exception before writing any of the list', async () => {
        const store = await setup(makeEnv, 'exceptions-put-bad');

        const error = await store
          .putCommitted(ref('run-1'), [found(7), { itemId: 0, kind: 'k', details: {} }], AT)
          .catch((e) => e);

        expect(error).toBeInstanceOf(ValidationError);
        expect(error.field).toBe('itemId');
        expect(await store.get('job-1', idOf(7))).toBeUndefined();
      });

      it('keeps oversized details as a preview', async () => {
        const store = await setup(makeEnv, 'exceptions-put-big');

        await store.putCommitted(
          ref('run-1'),
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
      it('pages through the records of a job in item order, one per item', async () => {
        const store = await setup(makeEnv, 'exceptions-list');

        const { all } = await listAll(store, 'job-1');

        expect(all.map((x) => x.exceptionId)).toEqual([1, 2, 3, 4, 5].map(idOf));
      });

      it('ends a listing whose last page is full with a cursor to an empty page', async () => {
        const store = await setup(makeEnv, 'exceptions-list-full');
        await store.putCommitted(ref('run-1'), [found(6)], AT);

        expect((await listAll(store, 'job-1', {}, 3)).sizes).toEqual([3, 3, 0]);
        expect((await listAll(store, 'job-1', { status: 'OPEN' }, 3)).sizes).toEqual([3, 3, 0]);
        expect((await listAll(store, 'job-1', {}, 4)).sizes).toEqual([4, 2]);
      });

      it('lists one status at a time, and an id range', async () => {
        const store = await setup(makeEnv, 'exceptions-list-status');
        await resolve(store, 2, 'known upstream bug');
        await resolve(store, 4);

        expect((await listAll(store, 'job-1', { status: 'RESOLVED' }, 1)).all.map((x) => x.itemId)).toEqual([
          2, 4,
        ]);
        expect((await listAll(store, 'job-1', { status: 'OPEN' })).all.map((x) => x.itemId)).toEqual([
          1, 3, 5,
        ]);
        expect((await listAll(store, 'job-1', { status: 'REQUEUED' })).all).toEqual([]);
        expect((await listAll(store, 'job-1', { from: 2, to: 4 })).all.map((x) => x.itemId)).toEqual([
          2, 3, 4,
        ]);
        expect(
          (await listAll(store, 'job-1', { status: 'OPEN', from: 2, to: 4 })).all.map((x) => x.itemId),
        ).toEqual([3]);
      });

      it('rejects a bad cursor, a cursor of another listing, and a bad limit', async () => {
        const store = await setup(makeEnv, 'exceptions-list-cursor');
        const ofJob1 = (await store.list('job-1', {}, { limit: 1 })).next;
        const ofOpen = (await store.list('job-1', { status: 'OPEN' }, { limit: 1 })).next;

        for (const [jobId, query, next] of [
          ['job-1', {}, '%%%'],
          ['job-2', {}, ofJob1],
          ['job-1', {}, ofOpen],
          ['job-1', { status: 'RESOLVED' }, ofOpen],
        ] as const) {
          await expect(store.list(jobId, query, { next })).rejects.toMatchObject({
            name: 'ValidationError',
            field: 'next',
          });
        }
        await expect(store.list('job-1', {}, { limit: 0 })).rejects.toMatchObject({ field: 'limit' });
        await expect(store.list('job-1', { status: 'LOST' as ExceptionStatus })).rejects.toMatchObject({
          field: 'status',
        });
      });
    });

    describe('ExceptionStore.decide', () => {
      it('resolves an OPEN record once, with the note; a second decision is taken, not an error', async () => {
        const store = await setup(makeEnv, 'exceptions-resolve');

        const first = await resolve(store, 2, 'fixed by hand');
        const again = await resolve(store, 2, 'twice');

        expect(first.moved).toEqual([idOf(2)]);
        expect(await store.get('job-1', idOf(2))).toMatchObject({
          status: 'RESOLVED',
          note: 'fixed by hand',
          resolvedAt: LATER,
        });
        expect(again).toEqual({ moved: [], taken: [{ exceptionId: idOf(2), status: 'RESOLVED' }] });
      });

      it('requeues, counting requeues, and refuses a later resolve', async () => {
        const store = await setup(makeEnv, 'exceptions-requeue');
        const target = { datasetId: 'job-1.exceptions', id: 1 };

        const out = await store.decide(
          'job-1',
          [{ exceptionId: idOf(3), to: 'REQUEUED', requeuedAs: target }],
          LATER,
        );

        expect(out.moved).toEqual([idOf(3)]);
        expect(await store.get('job-1', idOf(3))).toMatchObject({
          status: 'REQUEUED',
          requeuedAs: target,
          resolvedAt: LATER,
          requeues: 1,
        });
        expect((await resolve(store, 3, 'late')).taken).toEqual([
          { exceptionId: idOf(3), status: 'REQUEUED' },
        ]);
      });

      it('leaves a record whose latest occurrence is not the one the reviewer saw', async () => {
        const store = await setup(makeEnv, 'exceptions-seen');
        const seen = (await store.get('job-1', idOf(3)))?.lastOccurrence as string;
        await store.putCommitted(ref('run-4', 4), [found(3)], EVEN_LATER);

        const out = await store.decide(
          'job-1',
          [{ exceptionId: idOf(3), to: 'RESOLVED', note: 'x', seen }],
          LATER,
        );

        expect(out).toEqual({ moved: [], taken: [{ exceptionId: idOf(3), status: 'OPEN' }] });
      });

      it('decides many at once, in batches, reporting each that another review took', async () => {
        const { deps } = await makeEnv('exceptions-many');
        const store = deps.exceptions;
        for (let start = 1; start <= 240; start += 48) {
          const items = Array.from({ length: 48 }, (_, i) => found(start + i, i % 2 ? 'odd' : 'even'));
          await store.putCommitted(ref('run-1', 1, 'job-1', start), items, AT);
        }
        await resolve(store, 7);
        await resolve(store, 100);

        const ids = Array.from({ length: 240 }, (_, i) => idOf(i + 1));
        const out = await store.decide(
          'job-1',
          ids.map((exceptionId) => ({ exceptionId, to: 'RESOLVED' as const, note: 'bulk' })),
          EVEN_LATER,
        );

        expect(out.moved).toHaveLength(238);
        expect(out.taken.sort((a, b) => a.exceptionId.localeCompare(b.exceptionId))).toEqual([
          { exceptionId: idOf(7), status: 'RESOLVED' },
          { exceptionId: idOf(100), status: 'RESOLVED' },
        ]);
        expect(await store.counts('job-1')).toEqual({ ...ALL_ZERO, RESOLVED: 240 });
      });

      it('reports an unknown exception as missing and creates nothing', async () => {
        const store = await setup(makeEnv, 'exceptions-unknown');

        expect(await resolve(store, 99)).toEqual({
          moved: [],
          taken: [{ exceptionId: idOf(99), status: 'MISSING' }],
        });
        expect(await store.get('job-1', idOf(99))).toBeUndefined();
      });

      it('rejects a malformed id, an empty note and a bad target before writing', async () => {
        const store = await setup(makeEnv, 'exceptions-bad-input');

        await expect(
          store.decide('job-1', [{ exceptionId: '12#run-1', to: 'RESOLVED', note: 'x' }], LATER),
        ).rejects.toMatchObject({ field: 'exceptionId' });
        await expect(store.get('job-1', '12#run-1')).rejects.toMatchObject({ field: 'exceptionId' });
        await expect(
          store.decide(
            'job-1',
            [
              { exceptionId: idOf(2), to: 'RESOLVED', note: 'fine' },
              { exceptionId: idOf(1), to: 'RESOLVED', note: '' },
            ],
            LATER,
          ),
        ).rejects.toMatchObject({ field: 'note' });
        await expect(
          store.decide(
            'job-1',
            [{ exceptionId: idOf(1), to: 'REQUEUED', requeuedAs: { datasetId: 'd', id: 0 } }],
            LATER,
          ),
        ).rejects.toMatchObject({ field: 'requeuedAs.id' });
        expect((await store.get('job-1', idOf(1)))?.status).toBe('OPEN');
        expect((await store.get('job-1', idOf(2)))?.status).toBe('OPEN');
      });
    });

    describe('ExceptionStore.hasOpen and supersede', () => {
      it('closes the open records a commit processed, not its own nor newer ones', async () => {
        const store = await setup(makeEnv, 'exceptions-supersede');
        await resolve(store, 2, 'kept');
        // run-5 set item 4 aside again (its own occurrence) and processed 1, 3 and 5.
        const by = ref('run-5', 5);
        await store.putCommitted(by, [found(4)], EVEN_LATER);

        expect(await store.hasOpen('job-1', 1, 5)).toBe(true);
        expect(await store.hasOpen('job-1', 6, 9)).toBe(false);
        expect(await store.supersede(by, 4, EVEN_LATER)).toBe(2);

        const statuses = (await listAll(store, 'job-1')).all.map((x) => [x.itemId, x.status]);
        expect(statuses).toEqual([
          [1, 'SUPERSEDED'],
          [2, 'RESOLVED'],
          [3, 'SUPERSEDED'],
          [4, 'OPEN'],
          [5, 'OPEN'],
        ]);
        expect(await store.get('job-1', idOf(1))).toMatchObject({
          supersededBy: { runId: 'run-5', at: EVEN_LATER },
        });
        expect(await store.supersede(by, 4, EVEN_LATER)).toBe(0);
        expect(await store.supersede(ref('run-0', 9), 5, '2025-12-31T00:00:00.000Z')).toBe(0); // older than the records
        expect(await store.counts('job-1')).toEqual({ ...ALL_ZERO, OPEN: 2, RESOLVED: 1, SUPERSEDED: 2 });
      });
    });

    describe('ExceptionStore.counts and deletePage', () => {
      it('counts records per status', async () => {
        const store = await setup(makeEnv, 'exceptions-counts');
        await resolve(store, 1);
        await store.decide(
          'job-1',
          [{ exceptionId: idOf(2), to: 'REQUEUED', requeuedAs: { datasetId: 'r', id: 1 } }],
          LATER,
        );

        expect(await store.counts('job-1')).toEqual({ ...ALL_ZERO, OPEN: 3, RESOLVED: 1, REQUEUED: 1 });
        expect(await store.counts('job-9')).toEqual(ALL_ZERO);
      });

      it('deletes a job’s records and occurrences a page at a time, leaving other jobs alone', async () => {
        const store = await setup(makeEnv, 'exceptions-delete');
        await store.putCommitted(
          ref('run-3', 3),
          Array.from({ length: 40 }, (_, i) => found(100 + i)),
          AT,
        );

        // 45 records and 46 occurrences.
        const deleted = [];
        for (let i = 0; i < 5; i++) deleted.push(await store.deletePage('job-1', 30));

        expect(deleted).toEqual([30, 30, 30, 1, 0]);
        expect(await store.counts('job-1')).toEqual(ALL_ZERO);
        expect((await store.list('job-2', {})).items).toHaveLength(1);
      });
    });
  });
}
