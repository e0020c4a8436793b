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

/** An expression with its bare names aliased, and the names it then refers to. */
interface Aliased {
  readonly text: string;
  readonly names: Readonly<Record<string, string>>;
}

/** Expressions are few and mostly constant: each is aliased once per process. Bounded, for built ones. */
const aliasedTexts = new Map<string, Aliased>();
const ALIASED_HELD = 1024;

function aliasText(text: string): Aliased {
  const known = aliasedTexts.get(text);
  if (known) return known;
  const names: Record<string, string> = {};
  // A word not after '#', ':' or a word character, and not a function call, is an attribute name.
  const aliased = text.replace(/(?<![#:\w])([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()/g, (word) => {
    if (GRAMMAR.has(word.toLowerCase())) return word;
    names[`#${word}`] = word;
    return `#${word}`;
  });
  if (aliasedTexts.size >= ALIASED_HELD) aliasedTexts.clear();
  const out = { text: aliased, names };
  aliasedTexts.set(text, out);
  return out;
}

/** Alias the bare names of one request (in place) and return it. */
export function aliasNames<T extends object>(input: T): T {
  const e = input as Expressions;
  let names = e.ExpressionAttributeNames;
  for (const field of FIELDS) {
    const text = e[field];
    if (!text) continue;
    const aliased = aliasText(text);
    e[field] = aliased.text;
    if (Object.keys(aliased.names).length > 0) names = { ...names, ...aliased.names };
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
