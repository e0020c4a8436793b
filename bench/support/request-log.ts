import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { WriteUnits } from './write-units.ts';

/** What one label (command and target) added up to. */
export interface Tally {
  requests: number;
  /** Items carried: 1 for a single-item request, the item count of a transaction or batch. */
  items: number;
  /** Capacity units DynamoDB reported (ReturnConsumedCapacity: INDEXES), table and indexes together. */
  units: number;
  /** Summed client-side latency, for the share of a batch spent waiting on the store. */
  ms: number;
}

export type Tallies = ReadonlyMap<string, Readonly<Tally>>;

const DDB_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
const DDB_READS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];
const CAPACITY = new Set([...DDB_WRITES, ...DDB_READS]);

type Next = (args: { input: Record<string, unknown> }) => Promise<{ output?: Record<string, unknown> }>;
type Stack = {
  add(
    mw: (next: Next, context: { commandName?: string }) => Next,
    options: { step: 'initialize'; name: string },
  ): void;
};

/**
 * A request as the framework sent it, kept for the replayed floor (replay-floor.ts): a DynamoDB write with its
 * input as the handler built it (the document client's, before marshalling), or an S3 request with its key and
 * body size (bodies are not kept).
 */
export type Recorded =
  | {
      readonly service: 'ddb';
      readonly command: string;
      readonly input: Record<string, unknown>;
      ok: boolean;
    }
  | {
      readonly service: 's3';
      readonly command: string;
      readonly bucket: string;
      readonly key: string;
      readonly bytes: number;
    };

/** How much a log finds out beyond counting. */
export interface RequestLogOptions {
  /** Ask DynamoDB for ConsumedCapacity (INDEXES) and add it up. @default false: requests are sent untouched */
  readonly capacity?: boolean;
  /** Estimate write units from the items' sizes (see write-units.ts) instead of trusting ConsumedCapacity. */
  readonly writeUnits?: WriteUnits;
}

/**
 * Every request an SDK client sends, by label `<service> <command> <target>` (for DynamoDB the table role and
 * the kinds of the keys touched, e.g. `ddb TransactWriteItems inventory:B+inventory:A`; for S3 the first segment
 * of the key, or `data` for the data bucket). With `capacity`, read units are DynamoDB Local's own figures (it
 * applies the 4 KB rounding and the consistency); write units come from `writeUnits`.
 */
export class RequestLog {
  readonly #tallies = new Map<string, Tally>();
  #recording: Recorded[] | undefined;

  constructor(
    private readonly names: { tables: Record<string, string>; dataBucket: string },
    private readonly options: RequestLogOptions = {},
  ) {}

  attach(client: DynamoDBClient | S3Client, service: 'ddb' | 's3'): this {
    const stack = client.middlewareStack as unknown as Stack;
    stack.add(
      (next, context) => async (args) => {
        const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const label = `${service} ${command} ${this.#target(service, command, args.input)}`;
        const kept = this.#recording && this.#keep(service, command, args.input);
        const sizer = service === 'ddb' && DDB_WRITES.includes(command) ? this.options.writeUnits : undefined;
        if (sizer) return this.#sized(sizer, command, label, args, next);
        const asks = service === 'ddb' && CAPACITY.has(command) && this.options.capacity === true;
        if (asks) args.input.ReturnConsumedCapacity = 'INDEXES';
        const began = performance.now();
        try {
          const out = await next(args);
          this.#add(label, args.input, performance.now() - began, asks ? unitsOf(out.output) : 0);
          return out;
        } catch (error) {
          this.#add(label, args.input, performance.now() - began, 0);
          if (kept?.service === 'ddb') kept.ok = false;
          throw error;
        }
      },
      { step: 'initialize', name: `request-log-${service}-${Math.random()}` },
    );
    return this;
  }

  async #sized(sizer: WriteUnits, command: string, label: string, args: Parameters<Next>[0], next: Next) {
    let ms = 0;
    const timed = async () => {
      const began = performance.now();
      try {
        return await next(args);
      } finally {
        ms = performance.now() - began;
      }
    };
    const result = await sizer.measure(command, args.input, timed);
    this.#add(label, args.input, ms, result.units);
    if ('error' in result) throw result.error;
    return result.out as Awaited<ReturnType<Next>>;
  }

  /**
   * Keep the DynamoDB writes and the S3 GETs and PUTs sent from now on, in the order they were sent, each write
   * with whether it went through (not tracked for a log that sizes writes: those are counted, not replayed).
   */
  record(): { stop(): Recorded[] } {
    const kept: Recorded[] = [];
    this.#recording = kept;
    return {
      stop: () => {
        if (this.#recording === kept) this.#recording = undefined;
        return kept;
      },
    };
  }

  #keep(service: 'ddb' | 's3', command: string, input: Record<string, unknown>): Recorded | undefined {
    let one: Recorded | undefined;
    if (service === 'ddb' && DDB_WRITES.includes(command)) one = { service, command, input, ok: true };
    if (service === 's3' && (command === 'GetObject' || command === 'PutObject')) {
      const body = input.Body;
      const bytes =
        typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : 0;
      one = { service, command, bucket: String(input.Bucket), key: String(input.Key), bytes };
    }
    if (one) this.#recording?.push(one);
    return one;
  }

  /** A copy of the tallies so far: take one before and one after a run, and diff them. */
  snapshot(): Tallies {
    return new Map([...this.#tallies].map(([k, t]) => [k, { ...t }]));
  }

  #add(label: string, input: Record<string, unknown>, ms: number, units: number): void {
    const t = this.#tallies.get(label) ?? { requests: 0, items: 0, units: 0, ms: 0 };
    t.requests += 1;
    t.items += itemCount(input);
    t.units += units;
    t.ms += ms;
    this.#tallies.set(label, t);
  }

  #target(service: 'ddb' | 's3', command: string, input: Record<string, unknown>): string {
    if (service === 's3') {
      const bucket = String(input.Bucket ?? '');
      if (bucket === this.names.dataBucket) return 'data';
      const key = String(input.Key ?? input.Prefix ?? '');
      return key.includes('/') ? `${key.split('/')[0]}/` : key;
    }
    const targets = targetsOf(input).map(([table, kind]) => `${this.#role(table)}:${kind}`);
    const unique = [...new Set(targets)];
    const index = typeof input.IndexName === 'string' ? `(${input.IndexName})` : '';
    return `${unique.join('+')}${index}` || command;
  }

  #role(table: string): string {
    const found = Object.entries(this.names.tables).find(([, name]) => name === table);
    return found?.[0] ?? 'other';
  }
}

/** [table, key kind] of each item a request touches; the kind is the sort key's prefix (B, A, R, META, E...). */
function targetsOf(input: Record<string, unknown>): [string, string][] {
  const transact = input.TransactItems as Record<string, Record<string, unknown>>[] | undefined;
  if (transact) return transact.flatMap((op) => Object.values(op).flatMap((one) => targetsOf(one)));
  const table = String(input.TableName ?? '');
  const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  if (key) return [[table, kindOf(key.sk)]];
  if (input.KeyConditionExpression !== undefined) return [[table, 'query']];
  const batch = (input.RequestItems ?? {}) as Record<string, unknown>;
  return Object.keys(batch).map((t) => [t, 'batch'] as [string, string]);
}

function kindOf(sk: unknown): string {
  const text = typeof sk === 'string' ? sk : String((sk as { S?: string } | undefined)?.S ?? '');
  return text.split('#')[0] || '?';
}

function itemCount(input: Record<string, unknown>): number {
  const transact = input.TransactItems as unknown[] | undefined;
  if (transact) return transact.length;
  const batch = input.RequestItems as Record<string, unknown[]> | undefined;
  if (batch) return Object.values(batch).reduce((n, list) => n + (Array.isArray(list) ? list.length : 0), 0);
  return 1;
}

function unitsOf(output: Record<string, unknown> | undefined): number {
  const consumed = output?.ConsumedCapacity as
    | { CapacityUnits?: number }
    | { CapacityUnits?: number }[]
    | undefined;
  if (!consumed) return 0;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
}

/** Tallies of `after` minus `before`: what happened in between. */
export function diffTallies(after: Tallies, before: Tallies): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const [label, a] of after) {
    const b = before.get(label) ?? { requests: 0, items: 0, units: 0, ms: 0 };
    const d = {
      requests: a.requests - b.requests,
      items: a.items - b.items,
      units: a.units - b.units,
      ms: a.ms - b.ms,
    };
    if (d.requests > 0 || d.items > 0 || d.units > 0) out.set(label, d);
  }
  return out;
}

/** Sums over the labels that `pick` accepts. */
export function sumTallies(tallies: Tallies, pick: (label: string) => boolean): Tally {
  const sum = { requests: 0, items: 0, units: 0, ms: 0 };
  for (const [label, t] of tallies) {
    if (!pick(label)) continue;
    sum.requests += t.requests;
    sum.items += t.items;
    sum.units += t.units;
    sum.ms += t.ms;
  }
  return sum;
}

const commandOf = (label: string) => label.split(' ')[1] ?? '';
export const isDdbWrite = (label: string) =>
  label.startsWith('ddb ') && DDB_WRITES.includes(commandOf(label));
export const isDdbRead = (label: string) => label.startsWith('ddb ') && DDB_READS.includes(commandOf(label));
export const isS3Get = (label: string) => label.startsWith('s3 GetObject');
export const isS3Put = (label: string) => label.startsWith('s3 PutObject');
