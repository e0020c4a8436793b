/**
 * DynamoDB reserves hundreds of words (status, end, count, token, state, error, ...) as attribute names in
 * expressions. Rather than remember which, every bare attribute name in our expressions is aliased to
 * `#<name>` here, so that expressions read like the invariant they protect.
 */
const GRAMMAR = new Set(['and', 'or', 'not', 'between', 'in', 'set', 'remove', 'add', 'delete']);

type Expressions = {
  ConditionExpression?: string;
  UpdateExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
};

const FIELDS = [
  'ConditionExpression',
  'UpdateExpression',
  'KeyConditionExpression',
  'FilterExpression',
  'ProjectionExpression',
] as const;

/** Alias the bare names of one request (in place) and return it. */
export function aliasNames<T extends object>(input: T): T {
  const e = input as Expressions;
  let names = e.ExpressionAttributeNames;
  for (const field of FIELDS) {
    const text = e[field];
    if (!text) continue;
    // A word not after '#', ':' or a word character, and not a function call, is an attribute name.
    e[field] = text.replace(/(?<![#:\w])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/g, (word) => {
      if (GRAMMAR.has(word.toLowerCase())) return word;
      names = { ...names, [`#${word}`]: word };
      return `#${word}`;
    });
  }
  if (names) e.ExpressionAttributeNames = names;
  return input;
}

/** Alias every item of a TransactWriteItems request. */
export function aliasTransact<T extends { TransactItems?: object[] }>(input: T): T {
  for (const item of input.TransactItems ?? []) {
    for (const op of Object.values(item)) if (op && typeof op === 'object') aliasNames(op);
  }
  return input;
}
