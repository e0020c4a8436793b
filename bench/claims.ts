import type { Deps } from '../core/deps.ts';
import { createJob } from '../core/jobs.ts';
import { makeDeps } from '../core/make-deps.ts';
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
          await rawConditionalWrites(deps, tables.inventory, RAW_WRITES, n, `RAW-${n}-${round}`),
        );
      }
      for (const n of SIDES) await claimRound(deps, counter, sides[n], n, round);
    }
    printClaims(sides);
    const [one, eight] = [sides[1], sides[8]];
    const double = one.double + eight.double;
    const w = (one.writes + eight.writes) / (one.claimed + eight.claimed);
    return `claims: claims_per_s_1=${median(one.claims).toFixed(0)} claims_per_s_8=${median(eight.claims).toFixed(0)} raw_writes_per_s_1=${median(one.raw).toFixed(0)} raw_writes_per_s_8=${median(eight.raw).toFixed(0)} writes_per_claim=${w.toFixed(3)} double_claims=${double}`;
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
      [
        'claims/s as share of bare writes/s',
        ...both((s) => `${((100 * median(s.claims)) / median(s.raw)).toFixed(0)}%`),
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
