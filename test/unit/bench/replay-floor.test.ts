import { describe, expect, it } from 'vitest';
import { replayOf } from '../../../bench/support/replay-floor.ts';
import type { Recorded } from '../../../bench/support/request-log.ts';

const T = 'inventory-table';
const sk = (start: number) => `B#${String(start).padStart(16, '0')}`;
const write = (command: string, input: Record<string, unknown>): Recorded => ({
  service: 'ddb',
  command,
  input,
  ok: true,
});
const acquire = (start: number) => write('UpdateItem', { TableName: T, Key: { pk: 'J#j', sk: sk(start) } });
const commit = (start: number) =>
  write('TransactWriteItems', {
    TransactItems: [
      { Update: { TableName: T, Key: { pk: 'J#j', sk: sk(start) } } },
      { Put: { TableName: T, Item: { pk: 'J#j', sk: `A#I#${start}#1` } } },
    ],
  });
const cut = (from: number) =>
  write('TransactWriteItems', {
    TransactItems: [
      { Update: { TableName: T, Key: { pk: 'J#j', sk: 'META' } } },
      { Put: { TableName: T, Item: { pk: 'J#j', sk: `N#${from}` } } },
    ],
  });
/** A cut's creation: its record deleted, its batches put (an Update of none of them). */
const creation = (from: number) =>
  write('TransactWriteItems', {
    TransactItems: [
      { Delete: { TableName: T, Key: { pk: 'J#j', sk: `N#${from}` } } },
      { Put: { TableName: T, Item: { pk: 'J#j', sk: sk(from) } } },
    ],
  });
const s3 = (command: string, bucket: string, key: string): Recorded => ({
  service: 's3',
  command,
  bucket,
  key,
  bytes: 10,
});

describe('replayOf', () => {
  it("gives each batch its lease and commit, and every other request to the next batch's slot", () => {
    const recorded = [
      cut(1),
      creation(1),
      s3('PutObject', 'work', 'manifests/j/run.json'),
      s3('GetObject', 'work', 'manifests/j/run.json'),
      acquire(1),
      s3('GetObject', 'data', 'datasets/e2e/part-000000.jsonl'),
      acquire(2),
      creation(3),
      s3('PutObject', 'work', 'outputs/j/1.jsonl'),
      commit(1),
      acquire(3),
      commit(2),
      commit(3),
      write('TransactWriteItems', { TransactItems: [{ Update: { TableName: T, Key: { sk: 'R#run' } } }] }),
      s3('PutObject', 'work', 'map-results/x/manifest.json'),
    ];

    const replay = replayOf(recorded, { dataBucket: 'data' });

    expect(replay.before).toEqual(recorded.slice(0, 4));
    expect(replay.slots.map((s) => s.start)).toEqual([1, 2, 3]);
    expect(replay.slots[0]?.requests).toEqual([acquire(1), commit(1)]);
    expect(replay.slots[1]?.requests).toEqual([acquire(2), commit(2)]);
    // The cut created ahead goes before the next batch first written after it; outputs and data are left out.
    expect(replay.slots[2]?.requests).toEqual([creation(3), acquire(3), commit(3)]);
    expect(replay.after).toEqual(recorded.slice(-2));
  });
});
