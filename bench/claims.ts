import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { toNewBatchItem } from '../core/adapters/inventory-records.ts';
import { makeDeps } from '../core/adapters/make-deps.ts';
import type { Deps } from '../core/deps.ts';
import { createJob } from '../core/jobs/jobs.ts';
import { defaultRegistry } from '../core/processors/builtin.ts';
import { claimsPerSecond, dataset, rawConditionalWrites } from './inventory.ts';
import { localStack } from './support/local-stack.ts';
import { RequestCounter } from './support/request-counter.ts';
import { printTable } from './support/table.ts';

/** Rounds of every measure, interleaved, so that a busy moment of the machine does not land on one column. */
const ROUNDS = 3;
const RAW_WRITES = 3_000;
const CLAIMS = { 1: 600, 8: 2_400 } as const;
const SIDES = [1, 8] as const;
type Side = (typeof SIDES)[number];

interface SideFigures {
  raw: number[];
  floor: number[];
  claims: number[];
  writes: number;
  reads: number;
  transactions: number;
  claimed: number;
  double: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fresh = (): SideFigures => ({
  raw: [],
  floor: [],
  claims: [],
  writes: 0,
  reads: 0,
  transactions: 0,
  claimed: 0,
  double: 0,
});

/**
 * Batches reserved (Plan's transaction of up to 99) and acquired (the fenced lease) per second by 1 and by 8
 * concurrent planners, next to bare conditional UpdateItems from 1 and 8 clients on the same DynamoDB Local in
 * the same run. No commit: a claim is what makes a batch someone's.
 */
export async function claimsBench(): Promise<string> {
  const stack = await localStack('claims');
  try {
    const counter = new RequestCounter().attach(stack.clients.ddb);
    const { clients, tables, buckets } = stack;
    const deps = makeDeps({ clients, tables, buckets, processors: defaultRegistry });
    await dataset(deps, 'ds', 1_000_000);
    const sides: Record<Side, SideFigures> = { 1: fresh(), 8: fresh() };
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of SIDES) {
        sides[n].raw.push(
          await rawConditionalWrites(clients.doc, tables.inventory, RAW_WRITES, n, `RAW-${n}-${round}`),
        );
        sides[n].floor.push(
          await claimFloor(deps, clients.doc, tables.inventory, CLAIMS[n], n, `floor-${n}-${round}`),
        );
      }
      for (const n of SIDES) await claimRound(deps, counter, sides[n], n, round);
    }
    printClaims(sides);
    const [one, eight] = [sides[1], sides[8]];
    const double = one.double + eight.double;
    const w = (one.writes + eight.writes) / (one.claimed + eight.claimed);
    return `claims: claims_per_s_1=${median(one.claims).toFixed(0)} claims_per_s_8=${median(eight.claims).toFixed(0)} floor_claims_per_s_1=${median(one.floor).toFixed(0)} floor_claims_per_s_8=${median(eight.floor).toFixed(0)} raw_writes_per_s_1=${median(one.raw).toFixed(0)} raw_writes_per_s_8=${median(eight.raw).toFixed(0)} writes_per_claim=${w.toFixed(3)} double_claims=${double}`;
  } finally {
    await stack.stop();
  }
}

async function claimRound(deps: Deps, counter: RequestCounter, side: SideFigures, n: Side, round: number) {
  const jobId = `claims-${n}-${round}`;
  const batching = { by: 'count', size: 100 } as const;
  await createJob(deps, { jobId, datasetId: 'ds', processor: { name: 'noop' }, batching });
  counter.reset();
  const out = await claimsPerSecond(deps, jobId, n, CLAIMS[n], false);
  side.claims.push(out.rate);
  side.writes += counter.writes;
  side.reads += counter.reads;
  side.transactions += counter.count('TransactWriteItemsCommand');
  side.claimed += out.claimed;
  side.double += out.double;
}

function printClaims(sides: Record<Side, SideFigures>): void {
  const both = (f: (s: SideFigures) => string) => SIDES.map((n) => f(sides[n]));
  const rounds = (xs: number[]) => `${median(xs).toFixed(0)} [${xs.map((x) => x.toFixed(0)).join(' / ')}]`;
  const per = (s: SideFigures, x: number) => (x / s.claimed).toFixed(3);
  console.log(`median of ${ROUNDS} interleaved rounds [each round]; claim = reserve + acquire, no commit`);
  printTable(
    ['measure', '1 client / planner', '8 clients / planners'],
    [
      ['bare conditional UpdateItem/s', ...both((s) => rounds(s.raw))],
      ['batches claimed/s', ...both((s) => rounds(s.claims))],
      ['floor: the same writes issued directly, claims/s', ...both((s) => rounds(s.floor))],
      [
        'claims/s as share of bare writes/s',
        ...both((s) => `${((100 * median(s.claims)) / median(s.raw)).toFixed(0)}%`),
      ],
      [
        'claims/s as share of the floor',
        ...both((s) => `${((100 * median(s.claims)) / median(s.floor)).toFixed(0)}%`),
      ],
      [
        'floor as share of bare writes/s',
        ...both((s) => `${((100 * median(s.floor)) / median(s.raw)).toFixed(0)}%`),
      ],
      ['DynamoDB write requests per claim', ...both((s) => per(s, s.writes))],
      ['DynamoDB read requests per claim', ...both((s) => per(s, s.reads))],
      // A reservation carries up to 99 batches: more than 1 per 99 claims are refused (contended) ones.
      [
        'reservation transactions per 99 claims',
        ...both((s) => ((99 * s.transactions) / s.claimed).toFixed(2)),
      ],
      ['batches claimed (all rounds)', ...both((s) => String(s.claimed))],
      ['double claims', ...both((s) => String(s.double))],
    ],
  );
}

/** Batches per floor transaction, as in a reservation: one slot moves the client's watermark. */
const FLOOR_CHUNK = 99;

/**
 * The store's rate for a claim's own writes, issued directly without the framework: `clients` clients each move
 * a watermark of their own and create 99 batch records in one transaction (the same items a reservation
 * creates, with the same clauses), then take the lease on each (the store's acquire: one conditional
 * UpdateItem). No planning, no catalog, no manifest, and no race on a shared watermark.
 */
export async function claimFloor(
  deps: Deps,
  doc: DynamoDBDocumentClient,
  table: string,
  claims: number,
  clients: number,
  jobId: string,
) {
  const chunks = Math.ceil(claims / FLOOR_CHUNK);
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let mark = 1; next < chunks; ) {
        const chunk = next++;
        const starts = Array.from({ length: FLOOR_CHUNK }, (_, i) => 1 + (chunk * FLOOR_CHUNK + i) * 100);
        const to = (starts.at(-1) as number) + 100;
        await doc.send(
          new TransactWriteCommand({ TransactItems: floorItems(table, jobId, c, mark, to, starts) }),
        );
        mark = to;
        for (const start of starts) {
          const got = await deps.leases.acquire({
            jobId,
            scope: { kind: 'inventory' },
            start,
            owner: `floor-${c}`,
            runId: `floor-${c}`,
            leaseMs: 600_000,
            policy: 'skip-succeeded',
          });
          if (got.outcome !== 'ACQUIRED') throw new Error(`floor acquire of ${start}: ${got.outcome}`);
        }
      }
    }),
  );
  return (chunks * FLOOR_CHUNK) / ((performance.now() - began) / 1000);
}

function floorItems(
  table: string,
  jobId: string,
  client: number,
  from: number,
  to: number,
  starts: number[],
) {
  const at = new Date().toISOString();
  return [
    {
      Update: {
        TableName: table,
        Key: { pk: `J#${jobId}`, sk: `FLOOR#${client}` },
        UpdateExpression: 'SET watermark = :to',
        ConditionExpression: 'attribute_not_exists(watermark) OR watermark = :from',
        ExpressionAttributeValues: { ':to': to, ':from': from },
      },
    },
    ...starts.map((start) => ({
      Put: {
        TableName: table,
        Item: toNewBatchItem({
          jobId,
          scope: { kind: 'inventory' },
          start,
          end: start + 99,
          stride: 1,
          count: 100,
          weight: 100,
          plannedAt: at,
          reservedBy: `floor-${client}`,
          reservedUntil: Date.now() + 600_000,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    })),
  ];
}
