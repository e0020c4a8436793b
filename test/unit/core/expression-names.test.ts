import { describe, expect, it } from 'vitest';
import { aliasNames, aliasTransact } from '../../../core/adapters/expression-names.ts';

describe('aliasNames', () => {
  it('aliases bare attribute names, leaving values, aliases, functions and grammar alone', () => {
    const input = aliasNames({
      UpdateExpression:
        'SET #status = :s, token = :t, processor.version = :v REMOVE leaseOwner ADD attempt :one',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now) AND NOT begins_with(sk, :p)',
      ExpressionAttributeNames: { '#status': 'status' },
    });
    expect(input.UpdateExpression).toBe(
      'SET #status = :s, #token = :t, #processor.#version = :v REMOVE #leaseOwner ADD #attempt :one',
    );
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#pk) AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt < :now) AND NOT begins_with(#sk, :p)',
    );
    expect(input.ExpressionAttributeNames).toMatchObject({
      '#status': 'status',
      '#token': 'token',
      '#pk': 'pk',
      '#version': 'version',
    });
  });

  it('aliases every operation of a transaction', () => {
    const t = aliasTransact({
      TransactItems: [
        { ConditionCheck: { ConditionExpression: 'token = :t' } },
        { Put: { ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    });
    expect(t.TransactItems.map((i) => Object.values(i)[0].ConditionExpression)).toEqual([
      '#token = :t',
      'attribute_not_exists(#pk)',
    ]);
  });
});
