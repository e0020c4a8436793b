import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_SPECS, type TableNames } from '../../core/contracts/tables.ts';

/**
 * DynamoDB Local reports ConsumedCapacity faithfully for single-item writes but not for TransactWriteItems (it
 * reports one item per operation type, whatever the count). So write units are estimated here, by DynamoDB's
 * documented rules, from the items themselves: each item written costs ceil(size / 1 KB) for the larger of its
 * before and after images; each global secondary index whose entry is put, changed or removed costs the same again
 * (both indexes project ALL), twice when an index key changes (delete + put); everything inside a transaction
 * costs double (DynamoDB Local doubles index writes too, and we follow it); a ConditionCheck costs as a write of
 * its item; a refused single write costs its item's units. The images are read with consistent GetItems on a
 * client of its own, around the write, so they are neither logged nor counted.
 */
export class WriteUnits {
  readonly #indexes: Map<string, readonly [string, string][]>;

  constructor(
    private readonly raw: DynamoDBClient,
    tables: TableNames,
  ) {
    this.#indexes = new Map(
      TABLE_SPECS.map((spec) => [
        tables[spec.role],
        spec.indexes.map((i) => [i.partitionKey, i.sortKey] as [string, string]),
      ]),
    );
  }

  /** Send the write through `send` and return what it consumed by the rules above. */
  async measure<T>(
    command: string,
    input: Record<string, unknown>,
    send: () => Promise<T>,
  ): Promise<{ out?: T; error?: unknown; units: number }> {
    const ops = opsOf(command, input);
    const before = await Promise.all(ops.map((op) => this.#read(op)));
    try {
      const out = await send();
      const after = await Promise.all(ops.map((op) => this.#read(op)));
      const factor = command === 'TransactWriteItems' ? 2 : 1;
      const units = ops.reduce((n, op, i) => n + this.#units(op, before[i], after[i], factor), 0);
      return { out, units };
    } catch (error) {
      const single = command !== 'TransactWriteItems' && command !== 'BatchWriteItem';
      return { error, units: single ? Math.max(1, kb(before[0])) : 0 };
    }
  }

  #units(op: Op, before: Item | undefined, after: Item | undefined, factor: number): number {
    if (op.kind === 'ConditionCheck') return factor * Math.max(1, kb(before));
    let units = factor * Math.max(1, kb(before), kb(after));
    for (const [pk, sk] of this.#indexes.get(op.table) ?? []) {
      const [b, a] = [indexKey(before, pk, sk), indexKey(after, pk, sk)];
      if (b === undefined && a === undefined) continue;
      if (b !== undefined && a !== undefined && b !== a) units += factor * (kb(before) + kb(after));
      else units += factor * Math.max(b === undefined ? 0 : kb(before), a === undefined ? 0 : kb(after));
    }
    return units;
  }

  async #read(op: Op): Promise<Item | undefined> {
    const out = await this.raw.send(
      new GetItemCommand({ TableName: op.table, Key: op.key, ConsistentRead: true }),
    );
    return out.Item;
  }
}

type Item = Record<string, AttributeValue>;
interface Op {
  readonly kind: string;
  readonly table: string;
  readonly key: Item;
}

/** The items a write request touches, with their keys as attribute values (from document or low-level input). */
function opsOf(command: string, input: Record<string, unknown>): Op[] {
  if (command === 'TransactWriteItems') {
    const items = input.TransactItems as Record<string, Record<string, unknown>>[];
    return items.flatMap((entry) => Object.entries(entry).map(([kind, op]) => opOf(kind, op)));
  }
  if (command === 'BatchWriteItem') {
    const batch = input.RequestItems as Record<
      string,
      { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }[]
    >;
    return Object.entries(batch).flatMap(([table, list]) =>
      list.map((r) =>
        opOf(r.PutRequest ? 'Put' : 'Delete', { TableName: table, ...(r.PutRequest ?? r.DeleteRequest) }),
      ),
    );
  }
  return [opOf(command.replace(/Item$/, ''), input)];
}

function opOf(kind: string, op: Record<string, unknown>): Op {
  const source = (op.Key ?? op.Item) as Record<string, unknown>;
  const key: Item = { pk: { S: text(source.pk) }, sk: { S: text(source.sk) } };
  return { kind, table: String(op.TableName), key };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : String((v as { S?: string })?.S ?? ''));

function indexKey(item: Item | undefined, pk: string, sk: string): string | undefined {
  const [p, s] = [item?.[pk]?.S, item?.[sk]?.S];
  return p === undefined || s === undefined ? undefined : `${p}\u0000${s}`;
}

/** Write units of one image: whole kilobytes, rounded up; 0 when the item does not exist. */
const kb = (item: Item | undefined) => (item ? Math.ceil(itemSize(item) / 1024) : 0);

/** DynamoDB's item size: attribute names and values (strings in UTF-8, numbers about 1 byte per 2 digits + 1). */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name) + valueSize(v), 0);
}

function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/g, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.L) return 3 + v.L.reduce((n, x) => n + 1 + valueSize(x), 0);
  if (v.M)
    return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + valueSize(x), 0);
  return 0;
}
