import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { WORK_PREFIXES } from '../../core/contracts/s3-keys.ts';
import type { TableNames } from '../../core/contracts/tables.ts';
import { batchObjects, type Floor, timedFloor } from './floor.ts';
import { type BenchLocal, inParallel } from './local-run.ts';
import type { Recorded } from './request-log.ts';

/**
 * The replayed floor: the run's own DynamoDB writes, as its handlers built them (same items, expressions and
 * conditions), sent again directly to tables of their own, with the same S3 reads and writes, in the run's
 * order and at its concurrency. What it leaves out is the framework: Step Functions, the handlers, parsing the
 * records, and every DynamoDB read. Where the plain floor (floor.ts) writes bare items, this one pays for what
 * the inventory's records cost the store.
 */

type DdbWrite = Extract<Recorded, { service: 'ddb' }>;
type S3Request = Extract<Recorded, { service: 's3' }>;

/** The run's requests in the order to send them: before the Map, batch by batch, after it. */
export interface Replay {
  readonly before: Recorded[];
  /** One slot per batch, in the order the run first wrote to each: its share of the run's own requests. */
  readonly slots: { readonly start: number; readonly requests: Recorded[] }[];
  readonly after: Recorded[];
}

/**
 * Lay out a run's recording. A batch's own requests are its lease (an UpdateItem of its record) and its commit
 * (a transaction that updates its record). Every other request goes with the next batch to be written first
 * after it, in order: Plan's before the first batch, a cut created by a worker ahead with the batch that came
 * next, Finalize's after the last one. A batch's data GET and output PUT are sent by batchObjects, so the
 * recorded ones are left out.
 */
export function replayOf(recorded: readonly Recorded[], names: { dataBucket: string }): Replay {
  const before: Recorded[] = [];
  const slots: { start: number; requests: Recorded[] }[] = [];
  const bySk = new Map<string, Recorded[]>();
  let pending: Recorded[] = [];
  for (const r of recorded) {
    if (r.service === 's3') {
      const own =
        (r.command === 'GetObject' && r.bucket === names.dataBucket) ||
        r.key.startsWith(WORK_PREFIXES.outputs);
      if (!own) pending.push(r);
      continue;
    }
    const sk = batchOf(r);
    if (sk === undefined) {
      pending.push(r);
      continue;
    }
    let slot = bySk.get(sk);
    if (!slot) {
      slot = [];
      bySk.set(sk, slot);
      slots.push({ start: Number(sk.slice(2)), requests: slot });
      if (slots.length === 1) before.push(...pending);
      else slot.push(...pending);
      pending = [];
    }
    slot.push(r);
  }
  return { before, slots, after: pending };
}

/** The batch record (its sort key) a write is a batch's own for: its lease, or its commit. */
function batchOf(r: DdbWrite): string | undefined {
  const skOf = (op: Record<string, unknown> | undefined) => (op?.Key as { sk?: unknown } | undefined)?.sk;
  if (r.command === 'UpdateItem') {
    const sk = skOf(r.input);
    return typeof sk === 'string' && sk.startsWith('B#') ? sk : undefined;
  }
  if (r.command !== 'TransactWriteItems') return undefined;
  const ops = r.input.TransactItems as Record<string, Record<string, unknown>>[];
  const updates = ops.flatMap((op) => (op.Update ? [skOf(op.Update)] : []));
  const batches = updates.filter((sk): sk is string => typeof sk === 'string' && sk.startsWith('B#'));
  return batches.length === 1 && !ops.some((op) => op.Put && isBatchItem(op.Put)) ? batches[0] : undefined;
}

const isBatchItem = (put: Record<string, unknown>) =>
  String((put.Item as { sk?: unknown } | undefined)?.sk ?? '').startsWith('B#');

/**
 * Send the replay: `before` one by one, then the slots `concurrency` at a time (batch k, in start order, GETs
 * and PUTs its objects as the plain floor's does), then `after`. `seed` (untimed) are items the run found in
 * place, such as its job record as it was before the run. A write that went through in the run must go through
 * again; one that was refused may be refused again.
 */
export async function runReplayFloor(
  local: BenchLocal,
  o: {
    replay: Replay;
    tables: Readonly<Record<string, string>>;
    into: TableNames;
    seed: readonly { table: string; item: Record<string, unknown> }[];
    concurrency: number;
    round: number;
  },
): Promise<Floor> {
  const { doc } = local.mode.clients;
  const retarget = tableMap(o.tables, o.into);
  for (const { table, item } of o.seed)
    await doc.send(new PutCommand({ TableName: retarget(table), Item: item }));
  const order = [...o.replay.slots].sort((a, b) => a.start - b.start);
  const objectOf = new Map(order.map((slot, k) => [slot, k]));
  const prefix = `replay/${o.round}`;
  const send = (r: Recorded) =>
    r.service === 'ddb' ? sendWrite(doc, r, retarget) : sendS3(local, r, prefix);
  return timedFloor(local, async () => {
    for (const r of o.replay.before) await send(r);
    await inParallel(o.replay.slots.length, o.concurrency, async (i) => {
      const slot = o.replay.slots[i] as Replay['slots'][number];
      for (const r of slot.requests) await send(r);
      await batchObjects(local, objectOf.get(slot) as number, prefix);
    });
    for (const r of o.replay.after) await send(r);
  });
}

/** The run's table names to the replay's, by role. */
function tableMap(tables: Readonly<Record<string, string>>, into: TableNames): (table: string) => string {
  const byName = new Map(
    Object.entries(tables).map(([role, name]) => [name, into[role as keyof TableNames] ?? name]),
  );
  return (table) => {
    const to = byName.get(table);
    if (!to) throw new Error(`the replay has no table for ${table}`);
    return to;
  };
}

async function sendWrite(
  doc: DynamoDBDocumentClient,
  r: DdbWrite,
  retarget: (table: string) => string,
): Promise<void> {
  const at = (op: Record<string, unknown>) => ({ ...op, TableName: retarget(String(op.TableName)) });
  const input = r.input;
  try {
    if (r.command === 'TransactWriteItems') {
      const ops = input.TransactItems as Record<string, Record<string, unknown>>[];
      const items = ops.map((op) =>
        Object.fromEntries(Object.entries(op).map(([kind, one]) => [kind, at(one)])),
      );
      await doc.send(new TransactWriteCommand({ ...input, TransactItems: items } as never));
    } else if (r.command === 'UpdateItem') await doc.send(new UpdateCommand(at(input) as never));
    else if (r.command === 'PutItem') await doc.send(new PutCommand(at(input) as never));
    else if (r.command === 'DeleteItem') await doc.send(new DeleteCommand(at(input) as never));
    else throw new Error(`the replay cannot send ${r.command}`);
  } catch (error) {
    if (r.ok)
      throw new Error(`a ${r.command} that went through in the run was refused in the replay`, {
        cause: error,
      });
  }
}

/** An S3 request of the run's own (a manifest, the Map's results), with a body of the same size. */
async function sendS3(local: BenchLocal, r: S3Request, prefix: string): Promise<void> {
  const { s3 } = local.mode.clients;
  const Key = `${prefix}/${r.key}`;
  if (r.command === 'PutObject') {
    await s3.send(new PutObjectCommand({ Bucket: r.bucket, Key, Body: 'x'.repeat(r.bytes) }));
    return;
  }
  const got = await s3.send(new GetObjectCommand({ Bucket: r.bucket, Key }));
  await got.Body?.transformToString('utf8');
}
