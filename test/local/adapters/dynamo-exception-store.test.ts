import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoExceptionStore } from '../../../core/adapters/dynamo-exception-store.ts';
import { fromExceptionItem, occurrenceWrites } from '../../../core/adapters/exception-record.ts';
import { ValidationError } from '../../../core/errors.ts';
import type { OccurrenceRef } from '../../../core/ports/index.ts';
import { type LocalEnv, localEnv } from '../../support/local.ts';

const AT = '2026-01-02T03:04:05.000Z';
const LATER = '2026-01-03T00:00:00.000Z';
const REF: OccurrenceRef = {
  jobId: 'job-1',
  scope: { kind: 'inventory' },
  runId: 'run-1',
  start: 1,
  token: 1,
};
const idOf = (itemId: number) => String(itemId).padStart(16, '0');

let env: LocalEnv;
let store: DynamoExceptionStore;

const raw = async (sk: string) =>
  (
    await env.clients.doc.send(
      new GetCommand({ TableName: env.tables.exceptions, Key: { pk: 'J#job-1', sk } }),
    )
  ).Item;

beforeEach(async () => {
  env = await localEnv('exceptions');
  store = new DynamoExceptionStore({ doc: env.clients.doc, table: env.tables.exceptions });
});

/** What the contract (test/local/ports/exception.test.ts) cannot see: the items and the index attributes. */
describe('DynamoExceptionStore items', () => {
  it('moves the byStatus index keys with the status, and gives a sample run’s records none', async () => {
    await store.putCommitted(REF, [{ itemId: 7, kind: 'k', details: {} }], AT);
    await store.putCommitted(
      { ...REF, scope: { kind: 'sample', runId: 's1' } },
      [{ itemId: 7, kind: 'k', details: {} }],
      AT,
    );

    expect(await raw(`X#${idOf(7)}`)).toMatchObject({ statusPk: 'J#job-1#OPEN', statusSk: `X#${idOf(7)}` });
    await store.decide('job-1', [{ exceptionId: '7', to: 'RESOLVED', note: 'ok' }], LATER);
    expect(await raw(`X#${idOf(7)}`)).toMatchObject({ status: 'RESOLVED', statusPk: 'J#job-1#RESOLVED' });
    const sample = await raw(`XS#s1#${idOf(7)}`);
    expect(sample).toMatchObject({ status: 'OPEN', sampleRunId: 's1' });
    expect(sample).not.toHaveProperty('statusPk');
    expect(await raw(`XO#${idOf(7)}#run-1#${idOf(1)}#1`)).toMatchObject({ kind: 'k', at: AT, token: 1 });
  });

  it('reads a record stored whole by the commit transaction the same way', async () => {
    const w = occurrenceWrites(REF, { itemId: 9, kind: 'k', details: { a: 1 } }, AT);
    await env.clients.doc.send(new PutCommand({ TableName: env.tables.exceptions, Item: w.occurrence }));

    expect(await store.occurrences('job-1', '9')).toEqual([
      {
        jobId: 'job-1',
        itemId: 9,
        runId: 'run-1',
        batchStart: 1,
        token: 1,
        kind: 'k',
        details: { a: 1 },
        at: AT,
      },
    ]);
  });
});

describe('exception records', () => {
  it('names the attribute of a malformed record read back', async () => {
    await store.putCommitted(REF, [{ itemId: 7, kind: 'k', details: {} }], AT);
    const item = await raw(`X#${idOf(7)}`);

    expect(() => fromExceptionItem({ ...item, itemId: 'seven' })).toThrow(
      expect.objectContaining({ field: 'itemId' }),
    );
    expect(() => fromExceptionItem({ ...item, status: 'LOST' })).toThrow(
      expect.objectContaining({ field: 'status' }),
    );
  });

  it('keeps oversized details as a preview, so one chatty processor cannot fail a commit', () => {
    const details = { blob: 'x'.repeat(100_000) };

    const w = occurrenceWrites(REF, { itemId: 7, kind: 'k', details }, AT);

    expect(w.occurrence.details).toMatchObject({ truncated: true, bytes: 100_011 });
    expect(JSON.stringify(w).length).toBeLessThan(20_000);
  });

  it('rejects a bad exception before it is written', () => {
    expect(() => occurrenceWrites(REF, { itemId: 0, kind: 'k', details: {} }, AT)).toThrow(
      expect.objectContaining({ field: 'itemId' }),
    );
    expect(() =>
      occurrenceWrites({ ...REF, runId: 'run 1' }, { itemId: 1, kind: 'k', details: {} }, AT),
    ).toThrow(ValidationError);
  });
});
