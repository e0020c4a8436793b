import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { measureSize, type SizeFigures, summaryOf } from './bookkeeping.ts';
import { type BenchLocal, startBenchLocal } from './support/local-run.ts';
import { PRICE_SOURCES, PRICES } from './support/prices.ts';
import { isDdbRead, isDdbWrite, isS3Get, isS3Put, sumTallies } from './support/request-log.ts';
import { printTable } from './support/table.ts';
import { itemSize } from './support/write-units.ts';

const ITEMS = 1_000_000;
const SIZE = 1_000;
/** Plan and Finalize, as infra/functions.ts deploys them (cli/local/local-functions.ts mirrors it). */
const PLAN_FINALIZE_GB = 1;
/** An Express child with a small definition and payload bills the smallest chunk. */
const EXPRESS_GB = 64 / 1024;

type Row = [string, string, string, number];

/**
 * What the framework's own bookkeeping costs on AWS per million items at 1,000 items per batch (one run: a
 * manifest holds up to 10,000 batches), from the requests and state transitions counted in a real local run, next
 * to a Standard Map with one state per item and to one idempotency record per item.
 */
export async function costBench(): Promise<string> {
  const local = await startBenchLocal({ units: true });
  try {
    const f = await measureSize(local, SIZE);
    const sizes = await itemSizes(local, `bk-${SIZE}-${2 * f.batches}`);
    const rows = overheadRows(f);
    const total = rows.reduce((n, r) => n + r[3], 0);
    console.log(
      `framework overhead per ${ITEMS.toLocaleString('en-US')} items, ${SIZE} items/batch (${ITEMS / SIZE} batches, 1 run):`,
    );
    printTable(
      ['component', 'quantity', 'unit price', 'USD'],
      [...rows.map(fmt), ['total', '', '', usd(total)]],
    );
    const data = dataRows(f);
    console.log('data I/O of the batches (the same without the framework, not overhead):');
    printTable(['component', 'quantity', 'unit price', 'USD'], data.map(fmt));
    const alt = alternatives();
    console.log('alternatives at the same prices, per 1,000,000 items:');
    printTable(
      ['design', 'quantity', 'unit price', 'USD'],
      [...alt.map(fmt), ['this framework (overhead above)', '', '', usd(total)]],
    );
    console.log('record sizes (bytes, DynamoDB item size) behind the WRUs:');
    printTable(['record', 'bytes'], Object.entries(sizes));
    printTable(['price', 'source'], Object.entries(PRICE_SOURCES));
    const [sfn, ddb] = [
      rows.filter((r) => r[0].startsWith('Step')),
      rows.filter((r) => r[0].startsWith('DynamoDB')),
    ];
    const sum = (rs: Row[]) => rs.reduce((n, r) => n + r[3], 0);
    return `cost: usd_per_million_items=${total.toFixed(4)} sfn=${sum(sfn).toFixed(4)} dynamodb=${sum(ddb).toFixed(4)} standard_map_per_item=${alt[0]?.[3].toFixed(2)} idempotency_per_item=${alt[1]?.[3].toFixed(3)}`;
  } finally {
    await local.stop();
  }
}

function overheadRows(f: SizeFigures): Row[] {
  const batches = ITEMS / SIZE;
  const s = summaryOf(f);
  const [a, b] = f.shapes;
  const billed = (ms: number) => Math.ceil(ms / 100) / 10;
  const childSeconds = b.childMs.reduce((n, ms) => n + billed(ms), 0) / Math.max(1, b.childMs.length);
  // Plan and Finalize grow with the batches of the run: extrapolate the N and 2N runs' times linearly.
  // Never below the longer run's own time: the local times are noisy.
  const at = (state: string) =>
    Math.max(b.taskMs[state] ?? 0, lineAt(a.taskMs[state] ?? 0, b.taskMs[state] ?? 0, f.batches, batches));
  const lambdaSeconds = (at('Plan') + at('Finalize')) / 1000;
  const wru = s.wru * batches + sumTallies(f.perRun, isDdbWrite).units;
  const rru = s.rru * batches + sumTallies(f.perRun, isDdbRead).units;
  const runS3 = (pick: (l: string) => boolean) => sumTallies(f.perRun, pick).requests;
  return [
    row('Step Functions Standard: parent states', b.parentTransitions, 'sfnTransition'),
    row('Step Functions Standard: Distributed Map child starts', batches, 'sfnTransition'),
    row('Step Functions Express: child requests', batches, 'expressRequest'),
    row(
      `Step Functions Express: duration (${childSeconds.toFixed(1)} s billed x 64 MB, local)`,
      batches * childSeconds * EXPRESS_GB,
      'expressGbSecond',
      'GB-s',
    ),
    row('Lambda: requests (Plan, Finalize, ProcessBatch)', 2 + batches, 'lambdaRequest'),
    row(
      `Lambda: Plan + Finalize duration (${lambdaSeconds.toFixed(1)} s x 1 GB, local)`,
      lambdaSeconds * PLAN_FINALIZE_GB,
      'lambdaGbSecond',
      'GB-s',
    ),
    row(
      `DynamoDB: write units (${f2(s.wru)}/batch + ${f2(sumTallies(f.perRun, isDdbWrite).units)}/run)`,
      wru,
      'wru',
      'WRU',
    ),
    row(
      `DynamoDB: read units (${f2(s.rru)}/batch + ${f2(sumTallies(f.perRun, isDdbRead).units)}/run)`,
      rru,
      'rru',
      'RRU',
    ),
    row('S3: PUT (manifest, ResultWriter)', runS3(isS3Put), 's3Put'),
    row('S3: GET (ItemReader)', runS3(isS3Get), 's3Get'),
  ];
}

/** The batches' own S3 traffic and ProcessBatch's duration: what any Lambda-per-batch processing pays. */
function dataRows(f: SizeFigures): Row[] {
  const batches = ITEMS / SIZE;
  const s = summaryOf(f);
  const childMs = f.shapes[1].childMs;
  const seconds = childMs.reduce((n, ms) => n + ms, 0) / Math.max(1, childMs.length) / 1000;
  return [
    row('S3: GET of the batch objects', s.gets * batches, 's3Get'),
    row('S3: PUT of the outputs', s.puts * batches, 's3Put'),
    row(
      `Lambda: ProcessBatch duration (noop, ${seconds.toFixed(2)} s x 0.5 GB, local)`,
      batches * seconds * 0.5,
      'lambdaGbSecond',
      'GB-s',
    ),
  ];
}

function alternatives(): Row[] {
  return [
    row('Standard Map, one state per item (transitions only)', ITEMS, 'sfnTransition'),
    [
      'idempotency record per item: 2 writes + 1 strong read (<1 KB, no index)',
      `${(2 * ITEMS).toLocaleString('en-US')} WRU + ${ITEMS.toLocaleString('en-US')} RRU`,
      `${perMillion(PRICES.wru)} WRU, ${perMillion(PRICES.rru)} RRU`,
      2 * ITEMS * PRICES.wru + ITEMS * PRICES.rru,
    ],
  ];
}

function row(name: string, quantity: number, price: keyof typeof PRICES, unit = ''): Row {
  const q = Number.isInteger(quantity) ? quantity.toLocaleString('en-US') : quantity.toFixed(2);
  return [name, `${q}${unit ? ` ${unit}` : ''}`, perMillion(PRICES[price]), quantity * PRICES[price]];
}

/** The value at x of the line through (x1, y1) and (2 x1, y2). */
const lineAt = (y1: number, y2: number, x1: number, x: number) => y1 + ((y2 - y1) / x1) * (x - x1);
const f2 = (x: number) => x.toFixed(2);
const usd = (x: number) => `$${x < 0.01 ? x.toFixed(6) : x.toFixed(4)}`;
const perMillion = (price: number) => `$${Number((price * 1e6).toPrecision(4))}/M`;
const fmt = (r: Row) => [r[0], r[1], r[2], usd(r[3])];

/** DynamoDB's item size (attribute names plus values) of the first batch, attempt and run record of a job. */
async function itemSizes(local: BenchLocal, jobId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, prefix] of [
    ['batch (B#)', 'B#'],
    ['attempt (A#)', 'A#'],
    ['run (R#)', 'R#'],
    ['job (META)', 'META'],
  ]) {
    const page = await local.mode.clients.ddb.send(
      new QueryCommand({
        TableName: local.mode.state.tables.inventory,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': { S: `J#${jobId}` }, ':p': { S: prefix as string } },
        Limit: 1,
      }),
    );
    const item = page.Items?.[0];
    if (item) out[name as string] = itemSize(item);
  }
  return out;
}
