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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Batches reserved (Plan's transaction of up to 99) and acquired (the fenced lease) per second by 1 and by 8
 * concurrent planners, next to bare conditional UpdateItems from 1 and 8 clients on the same DynamoDB Local in
 * the same run. No commit: a claim is what makes a batch someone's.
 */
export async function claimsBench(): Promise<string> {
  const stack = await localStack('claims');
  try {
    const counter = new RequestCounter().attach(stack.clients.ddb);
    const deps = makeDeps({ clients: stack.clients, tables: stack.tables, buckets: stack.buckets, processors: defaultRegistry });
    await dataset(deps, 'ds', 20_000_000);
    const raw: Record<1 | 8, number[]> = { 1: [], 8: [] };
    const claims: Record<1 | 8, number[]> = { 1: [], 8: [] };
    const perClaim = { writes: 0, reads: 0, claimed: 0, double: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of [1, 8] as const) raw[n].push(await rawConditionalWrites(deps, stack.tables.inventory, RAW_WRITES, n));
      for (const n of [1, 8] as const) {
        const jobId = `claims-${n}-${round}`;
        await createJob(deps, { jobId, datasetId: 'ds', processor: { name: 'noop' }, batching: { by: 'count', size: 100 } });
        counter.reset();
        const out = await claimsPerSecond(deps, jobId, n, CLAIMS[n], false);
        claims[n].push(out.rate);
        Object.assign(perClaim, {
          writes: perClaim.writes + counter.writes,
          reads: perClaim.reads + counter.reads,
          claimed: perClaim.claimed + out.claimed,
          double: perClaim.double + out.double,
        });
      }
    }
    const [r1, r8, c1, c8] = [median(raw[1]), median(raw[8]), median(claims[1]), median(claims[8])];
    const w = perClaim.writes / perClaim.claimed;
    const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
    console.log(`median of ${ROUNDS} interleaved rounds (the rounds in brackets); claim = reserve + acquire, no commit`);
    printTable(
      ['measure', '1 client / planner', '8 clients / planners'],
      [
        ['bare conditional UpdateItem/s', `${r1.toFixed(0)} [${all(raw[1])}]`, `${r8.toFixed(0)} [${all(raw[8])}]`],
        ['batches claimed/s', `${c1.toFixed(0)} [${all(claims[1])}]`, `${c8.toFixed(0)} [${all(claims[8])}]`],
        ['claims/s as share of bare writes/s', `${((100 * c1) / r1).toFixed(0)}%`, `${((100 * c8) / r8).toFixed(0)}%`],
        ['bare writes/s / DDB writes per claim', (r1 / w).toFixed(0), (r8 / w).toFixed(0)],
      ],
    );
    printTable(
      ['per claim (all rounds)', 'value'],
      [
        ['DynamoDB write requests', w.toFixed(3)],
        ['DynamoDB read requests', (perClaim.reads / perClaim.claimed).toFixed(3)],
        ['batches claimed', perClaim.claimed],
        ['double claims', perClaim.double],
      ],
    );
    return `claims: claims_per_s_1=${c1.toFixed(0)} claims_per_s_8=${c8.toFixed(0)} raw_writes_per_s_1=${r1.toFixed(0)} raw_writes_per_s_8=${r8.toFixed(0)} writes_per_claim=${w.toFixed(3)} double_claims=${perClaim.double}`;
  } finally {
    await stack.stop();
  }
}
