import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageLimit } from '../../../core/adapters/paging.ts';
import { ValidationError } from '../../../core/errors.ts';

const shape = { attributes: ['pk', 'sk'], fixed: { pk: 'J#job-1' } };

describe('paging cursors', () => {
  it('round-trips a LastEvaluatedKey as an opaque base64url string', () => {
    const key = { pk: 'J#job-1', sk: 'X#0000000000000007#run-1' };

    const next = encodeCursor(key);

    expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(next, shape)).toEqual(key);
    expect(encodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(undefined, shape)).toBeUndefined();
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['not an object', Buffer.from('"pk"').toString('base64url')],
    ['another partition', encodeCursor({ pk: 'J#job-2', sk: 'X#1' })],
    ['another key shape', encodeCursor({ pk: 'J#job-1', sk: 'X#1', statusPk: 'J#job-1#OPEN' })],
    ['a nested value', encodeCursor({ pk: 'J#job-1', sk: { S: 'X#1' } })],
  ])('rejects a cursor that is %s with a ValidationError on next', (_, next) => {
    expect(() => decodeCursor(next, shape)).toThrow(ValidationError);
    expect(() => decodeCursor(next, shape)).toThrow(expect.objectContaining({ field: 'next' }));
  });

  it('bounds the page size', () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit(1000)).toBe(1000);
    expect(() => pageLimit(1001)).toThrow(expect.objectContaining({ field: 'limit' }));
    expect(() => pageLimit(2.5)).toThrow(expect.objectContaining({ field: 'limit' }));
  });
});
