import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoExceptionStore } from '../../../core/adapters/dynamo-exception-store.ts';
import { fromExceptionItem, toExceptionItem } from '../../../core/adapters/exception-record.ts';
import { ExceptionNotFoundError, ValidationError } from '../../../core/errors.ts';
import type { ItemException } from '../../../core/model.ts';
import type { NewException } from '../../../core/ports/index.ts';
import { countItems, type LocalEnv, localEnv } from '../../support/local.ts';

const AT = '2026-01-02T03:04:05.000Z';
const LATER = '2026-01-03T00:00:00.000Z';

let env: LocalEnv;
let store: DynamoExceptionStore;

/** Exceptions arrive the way the inventory store writes them: items built by toExceptionItem. */
async function record(
  jobId: string,
  runId: string,
  itemIds: readonly number[],
  batchStart = 1,
): Promise<void> {
  for (const itemId of itemIds) {
    const exception: NewException = {
      itemId,
      kind: 'unparseable',
      details: { line: itemId, reason: 'bad json' },
    };
    await env.clients.doc.send(
      new PutCommand({
        TableName: env.tables.exceptions,
        Item: toExceptionItem(jobId, runId, batchStart, exception, AT),
      }),
    );
  }
}

const idOf = (itemId: number, runId = 'run-1') => `${String(itemId).padStart(16, '0')}#${runId}`;

async function listAll(jobId: string, status?: ItemException['status'], limit = 2): Promise<ItemException[]> {
  const all: ItemException[] = [];
  let next: string | undefined;
  do {
    const page = await store.list(jobId, status, { limit, next });
    all.push(...page.items);
    next = page.next;
  } while (next);
  return all;
}

beforeEach(async () => {
  env = await localEnv('exceptions');
  store = new DynamoExceptionStore({ doc: env.clients.doc, table: env.tables.exceptions });
  await record('job-1', 'run-1', [1, 2, 3, 4, 5]);
  await record('job-1', 'run-2', [3]);
  await record('job-2', 'run-1', [1]);
});

describe('DynamoExceptionStore.list', () => {
  it('pages through every exception of a job in item order', async () => {
    const all = await listAll('job-1');

    expect(all.map((x) => x.exceptionId)).toEqual([
      idOf(1),
      idOf(2),
      idOf(3),
      idOf(3, 'run-2'),
      idOf(4),
      idOf(5),
    ]);
    expect(all[0]).toEqual<ItemException>({
      jobId: 'job-1',
      exceptionId: idOf(1),
      itemId: 1,
      runId: 'run-1',
      batchStart: 1,
      kind: 'unparseable',
      details: { line: 1, reason: 'bad json' },
      status: 'OPEN',
      createdAt: AT,
    });
  });

  it('lists one status through the index', async () => {
    await store.resolve('job-1', idOf(2), 'known upstream bug', LATER);
    await store.resolve('job-1', idOf(4), 'ok', LATER);

    expect((await listAll('job-1', 'RESOLVED', 1)).map((x) => x.itemId)).toEqual([2, 4]);
    expect((await listAll('job-1', 'OPEN')).map((x) => x.itemId)).toEqual([1, 3, 3, 5]);
    expect(await listAll('job-1', 'REQUEUED')).toEqual([]);
  });

  it('rejects a bad cursor, or one of another listing, with a ValidationError on next', async () => {
    const ofJob1 = (await store.list('job-1', undefined, { limit: 1 })).next;
    const ofOpen = (await store.list('job-1', 'OPEN', { limit: 1 })).next;

    for (const [jobId, status, next] of [
      ['job-1', undefined, '%%%'],
      ['job-1', undefined, Buffer.from('[1,2]').toString('base64url')],
      ['job-2', undefined, ofJob1],
      ['job-1', undefined, ofOpen],
      ['job-1', 'RESOLVED', ofOpen],
    ] as const) {
      await expect(store.list(jobId, status, { next })).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'next',
      });
    }
  });
});

describe('DynamoExceptionStore.resolve and markRequeued', () => {
  it('resolves an OPEN exception once, with the note', async () => {
    const resolved = await store.resolve('job-1', idOf(2), 'fixed by hand', LATER);

    expect(resolved).toMatchObject({ status: 'RESOLVED', note: 'fixed by hand', resolvedAt: LATER });
    expect(await store.get('job-1', idOf(2))).toEqual(resolved);
    const again = await store.resolve('job-1', idOf(2), 'twice', LATER).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ValidationError);
    expect((again as ValidationError).violations).toEqual([
      { field: 'status', rule: 'must be OPEN to resolve (is RESOLVED)' },
    ]);
  });

  it('requeues an OPEN exception once and refuses to resolve it afterwards', async () => {
    const requeued = await store.markRequeued(
      'job-1',
      idOf(3),
      { datasetId: 'job-1-requeued', id: 1 },
      LATER,
    );

    expect(requeued).toMatchObject({
      status: 'REQUEUED',
      requeuedAs: { datasetId: 'job-1-requeued', id: 1 },
    });
    await expect(
      store.markRequeued('job-1', idOf(3), { datasetId: 'job-1-requeued', id: 2 }, LATER),
    ).rejects.toMatchObject({
      violations: [{ field: 'status', rule: 'must be OPEN to requeue (is REQUEUED)' }],
    });
    await expect(store.resolve('job-1', idOf(3), 'late', LATER)).rejects.toMatchObject({
      violations: [{ field: 'status', rule: 'must be OPEN to resolve (is REQUEUED)' }],
    });
  });

  it('answers an unknown exception with ExceptionNotFoundError and creates nothing', async () => {
    const before = await countItems(env);

    await expect(store.resolve('job-1', idOf(99), 'x', LATER)).rejects.toThrow(ExceptionNotFoundError);
    await expect(store.markRequeued('job-3', idOf(1), { datasetId: 'd', id: 1 }, LATER)).rejects.toThrow(
      ExceptionNotFoundError,
    );
    expect(await store.get('job-1', idOf(99))).toBeUndefined();
    expect(await countItems(env)).toEqual(before);
  });

  it('rejects a malformed id, an empty note and a bad target before writing', async () => {
    await expect(store.resolve('job-1', '12#run-1', 'x', LATER)).rejects.toMatchObject({
      field: 'exceptionId',
    });
    await expect(store.resolve('job-1', idOf(1), '', LATER)).rejects.toMatchObject({ field: 'note' });
    await expect(
      store.markRequeued('job-1', idOf(1), { datasetId: 'd', id: 0 }, LATER),
    ).rejects.toMatchObject({
      field: 'requeuedAs.id',
    });
    expect((await store.get('job-1', idOf(1)))?.status).toBe('OPEN');
  });
});

describe('DynamoExceptionStore.counts and deletePage', () => {
  it('counts exceptions per status', async () => {
    await store.resolve('job-1', idOf(1), 'ok', LATER);
    await store.markRequeued('job-1', idOf(2), { datasetId: 'r', id: 1 }, LATER);

    expect(await store.counts('job-1')).toEqual({ OPEN: 4, RESOLVED: 1, REQUEUED: 1 });
    expect(await store.counts('job-9')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0 });
  });

  it('deletes a job’s exceptions a page at a time, leaving other jobs alone', async () => {
    await record(
      'job-1',
      'run-3',
      Array.from({ length: 40 }, (_, i) => 100 + i),
    );

    const deleted = [
      await store.deletePage('job-1', 30),
      await store.deletePage('job-1', 30),
      await store.deletePage('job-1', 30),
    ];

    expect(deleted).toEqual([30, 16, 0]);
    expect(await store.counts('job-1')).toEqual({ OPEN: 0, RESOLVED: 0, REQUEUED: 0 });
    expect((await listAll('job-2')).length).toBe(1);
  });
});

describe('exception records', () => {
  it('names the attribute of a malformed record read back', () => {
    const item = toExceptionItem('job-1', 'run-1', 1, { itemId: 7, kind: 'k', details: {} }, AT);

    expect(() => fromExceptionItem({ ...item, itemId: 'seven' })).toThrow(
      expect.objectContaining({ field: 'itemId' }),
    );
    expect(() => fromExceptionItem({ ...item, status: 'LOST' })).toThrow(
      expect.objectContaining({ field: 'status' }),
    );
  });

  it('keeps oversized details as a preview, so one chatty processor cannot fail a commit', () => {
    const details = { blob: 'x'.repeat(100_000) };

    const item = toExceptionItem('job-1', 'run-1', 1, { itemId: 7, kind: 'k', details }, AT);

    expect(item.details).toMatchObject({ truncated: true, bytes: 100_011 });
    expect(JSON.stringify(item).length).toBeLessThan(10_000);
  });

  it('rejects a bad exception before it is written', () => {
    expect(() => toExceptionItem('job-1', 'run-1', 1, { itemId: 0, kind: 'k', details: {} }, AT)).toThrow(
      expect.objectContaining({ field: 'itemId' }),
    );
    expect(() => toExceptionItem('job-1', 'run 1', 1, { itemId: 1, kind: 'k', details: {} }, AT)).toThrow(
      ValidationError,
    );
  });
});
