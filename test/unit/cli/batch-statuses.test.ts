import { describe, expect, it } from 'vitest';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { batches } from '../../../cli/commands/batches.ts';
import { fromBatchItem, toNewBatchItem } from '../../../core/adapters/inventory-records.ts';
import { BATCH_STATUSES } from '../../../core/model.ts';

const stored = (status: string) => ({
  ...toNewBatchItem({
    jobId: 'j',
    scope: { kind: 'inventory' },
    start: 1,
    end: 10,
    stride: 1,
    count: 10,
    weight: 10,
    plannedAt: '2026-01-01T00:00:00.000Z',
  }),
  status,
});

describe('BATCH_STATUSES', () => {
  it('are the statuses a batch record may be read back with, and no other', () => {
    for (const status of BATCH_STATUSES) expect(fromBatchItem(stored(status)).status).toBe(status);
    expect(() => fromBatchItem(stored('DONE'))).toThrow(/status/);
  });

  it('are the values `batches --status` takes, and its usage names them', () => {
    const statusOf = (value: string) => validateArgs(batches, readArgs(batches, ['j1', '--status', value]));
    for (const status of BATCH_STATUSES) expect(statusOf(status)).toMatchObject({ status });
    expect(() => statusOf('DONE')).toThrow(`must be one of ${BATCH_STATUSES.join(', ')}`);
    expect(batches.usage).toContain(`--status ${BATCH_STATUSES.join('|')}`);
  });
});
