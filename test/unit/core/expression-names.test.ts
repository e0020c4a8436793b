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

  it('gives a repeated expression the same aliases, each request its own name map', () => {
    const request = (names?: Record<string, string>) =>
      aliasNames({ ConditionExpression: 'token = :t AND #status = :s', ExpressionAttributeNames: names });
    const first = request({ '#status': 'status' });
    const second = request({ '#status': 'status', '#extra': 'extra' });
    const third = request();
    expect([first.ConditionExpression, second.ConditionExpression, third.ConditionExpression]).toEqual([
      '#token = :t AND #status = :s',
      '#token = :t AND #status = :s',
      '#token = :t AND #status = :s',
    ]);
    expect(first.ExpressionAttributeNames).toEqual({ '#status': 'status', '#token': 'token' });
    expect(second.ExpressionAttributeNames).toEqual({
      '#status': 'status',
      '#extra': 'extra',
      '#token': 'token',
    });
    expect(third.ExpressionAttributeNames).toEqual({ '#token': 'token' });
    // An expression already aliased stays as it is.
    expect(aliasNames({ ConditionExpression: first.ConditionExpression }).ConditionExpression).toBe(
      '#token = :t AND #status = :s',
    );
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
