import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type BenchLocal, inParallel, partKeyOf } from './local-run.ts';
import { cpuBetween, cpuSeconds, rssSampler } from './machine.ts';
import { diffTallies, isDdbWrite, type Tallies, type Tally } from './request-log.ts';

/** One DynamoDB write the floor issues: its command and how many items it carries. */
export interface FloorWrite {
  readonly command: string;
  readonly items: number;
}

export interface Floor {
  readonly wallMs: number;
  readonly peak: number;
  readonly childPeak: number;
  readonly tallies: Map<string, Tally>;
  /** CPU seconds by process (this one, each local engine) while the floor ran. */
  readonly cpu: Record<string, number>;
}

/** Bare items of about the framework's record size (batch 0.5 KB, attempt 0.9 KB). */
const PAD = 'x'.repeat(600);

/**
 * The framework's write requests of a run, as many of each command with as many items each, spread evenly over
 * `batches` (a request sent once per 99 batches lands on every 99th batch).
 */
export function writePlan(tallies: Tallies, batches: number): FloorWrite[][] {
  const plan: FloorWrite[][] = Array.from({ length: batches }, () => []);
  for (const [label, t] of tallies) {
    if (!isDdbWrite(label) || t.requests === 0) continue;
    const write = {
      command: label.split(' ')[1] ?? 'PutItem',
      items: Math.max(1, Math.round(t.items / t.requests)),
    };
    for (let i = 0; i < t.requests; i++) plan[Math.floor((i * batches) / t.requests)]?.push(write);
  }
  return plan;
}

/**
 * What the run does without the framework: for each batch, GET its object, PUT an output object of the same
 * size as ProcessBatch writes, and send its share of the writes to a table of its own, `concurrency` batches at
 * once. No Step Functions, no handler, no parsing, no reads of the inventory or the catalog.
 */
export async function runFloor(
  local: BenchLocal,
  o: { table: string; objects: number; concurrency: number; writes: FloorWrite[][]; round: number },
): Promise<Floor> {
  const { doc } = local.mode.clients;
  return timedFloor(local, () =>
    inParallel(o.objects, o.concurrency, async (k) => {
      await batchObjects(local, k, `floor/${o.round}`);
      for (const [j, w] of (o.writes[k] ?? []).entries())
        await floorWrite(doc, o.table, w, `F${o.round}#${k}#${j}`);
    }),
  );
}

/** Time `work` with the floor's measures: wall, peak RSS, requests and CPU by process. */
export async function timedFloor(local: BenchLocal, work: () => Promise<void>): Promise<Floor> {
  const before = local.log.snapshot();
  const sampler = rssSampler();
  const cpu = cpuSeconds();
  const began = performance.now();
  await work();
  const wallMs = performance.now() - began;
  const { peak, childPeak } = sampler.stop();
  const tallies = diffTallies(local.log.snapshot(), before);
  return { wallMs, peak, childPeak, tallies, cpu: cpuBetween(cpu, cpuSeconds()) };
}

/**
 * The S3 work of batch `k` without the framework: GET its object (the k-th of the e2e data set) and PUT, under
 * `prefix`, the output the noop processor's batch writes: one `{"id":…,"output":{"ok":true}}` line per record.
 */
export async function batchObjects(local: BenchLocal, k: number, prefix: string): Promise<void> {
  const { buckets } = local.mode.state;
  const { s3 } = local.mode.clients;
  const key = partKeyOf('e2e', k);
  const got = await s3.send(new GetObjectCommand({ Bucket: buckets.data, Key: key }));
  const lines = (await got.Body?.transformToString('utf8'))?.split('\n').filter((l) => l !== '').length ?? 0;
  const first = k * lines + 1;
  const body = `${Array.from({ length: lines }, (_, n) => JSON.stringify({ id: first + n, output: { ok: true } })).join('\n')}\n`;
  await s3.send(
    new PutObjectCommand({
      Bucket: buckets.work,
      Key: `${prefix}/${k}.jsonl`,
      Body: body,
      ContentType: 'application/x-ndjson',
    }),
  );
}

/** A conditional write of the same command and item count, on fresh keys (so every condition holds). */
async function floorWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  w: FloorWrite,
  at: string,
): Promise<void> {
  const item = (i: number) => ({ pk: 'FLOOR', sk: `${at}#${i}`, filler: PAD });
  if (w.command === 'UpdateItem') {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: 'FLOOR', sk: `${at}#0` },
        UpdateExpression: 'SET v = :v, filler = :filler',
        ConditionExpression: 'attribute_not_exists(v) OR v < :v',
        ExpressionAttributeValues: { ':v': 1, ':filler': PAD },
      }),
    );
    return;
  }
  if (w.command === 'TransactWriteItems') {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: Array.from({ length: w.items }, (_, i) => ({
          Put: { TableName: table, Item: item(i), ConditionExpression: 'attribute_not_exists(pk)' },
        })),
      }),
    );
    return;
  }
  await doc.send(
    new PutCommand({ TableName: table, Item: item(0), ConditionExpression: 'attribute_not_exists(pk)' }),
  );
}
