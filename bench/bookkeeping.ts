import { CUT_MAX } from '../core/adapters/dynamo-cut-records.ts';
import { createJob } from '../core/jobs/jobs.ts';
import {
  type BenchLocal,
  historyOf,
  type RunShape,
  runExecution,
  seedJsonl,
  shapeOf,
  startBenchLocal,
} from './support/local-run.ts';
import {
  diffTallies,
  isDdbRead,
  isDdbWrite,
  isS3Get,
  isS3Put,
  sumTallies,
  type Tallies,
  type Tally,
} from './support/request-log.ts';
import { printTable } from './support/table.ts';

export const BOOKKEEPING_SIZES = [10, 100, 1_000, 10_000] as const;
/** Batches of the shorter run; the longer one has twice as many. */
const BATCHES = 20;

/** The requests of one size, split into what each batch adds and what each run costs once. */
export interface SizeFigures {
  readonly size: number;
  readonly batches: number;
  /** (run of 2N batches - run of N batches) / N. */
  readonly perBatch: Map<string, Tally>;
  /** 2 x (run of N) - (run of 2N): Plan, Finalize, the manifest and the Map's own S3 requests. */
  readonly perRun: Map<string, Tally>;
  /** The two runs' histories (N, then 2N batches): state transitions, Plan/Finalize and child durations. */
  readonly shapes: readonly [RunShape, RunShape];
}

/**
 * Two real runs of the noop processor through the local Step Functions endpoint, one of N and one of 2N batches of
 * `size` items (each batch reads its own JSON Lines object): their difference is the per-batch cost, whatever
 * the run adds once (the plan transaction of up to 99 batches, the manifest, Finalize) cancels out.
 */
export async function measureSize(local: BenchLocal, size: number, n = BATCHES): Promise<SizeFigures> {
  const datasetId = `bk-${size}`;
  await seedJsonl(local.mode, datasetId, 2 * n, size);
  const runs = [];
  for (const batches of [n, 2 * n]) {
    const jobId = `bk-${size}-${batches}`;
    await createJob(local.mode.deps, {
      jobId,
      datasetId,
      processor: { name: 'noop' },
      batching: { by: 'count', size },
    });
    const before = local.log.snapshot();
    const run = await runExecution(local, { jobId, mode: 'incremental', maxBatches: batches });
    if (run.status !== 'SUCCEEDED') throw new Error(`bookkeeping run ${jobId} ended ${run.status}`);
    const tallies = diffTallies(local.log.snapshot(), before);
    runs.push({ tallies, run, shape: shapeOf(await historyOf(local.sfn, run.arn)) });
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const perBatch = amortizeReservations(scale(diffTallies(b.tallies, a.tallies), 1 / n));
  const perRun = diffTallies(scale(a.tallies, 2), b.tallies);
  const shapes = [a.shape, b.shape] as const;
  return { size, batches: n, perBatch, perRun, shapes };
}

/**
 * Plan reserves new batches in transactions of up to CUT_MAX: both runs send one, which grows by one item per
 * batch. Its share of a request per batch is then items / CUT_MAX, as in a run long enough to fill them.
 */
function amortizeReservations(perBatch: Map<string, Tally>): Map<string, Tally> {
  for (const t of perBatch.values()) if (t.requests < 0.5 && t.items > 0) t.requests = t.items / CUT_MAX;
  return perBatch;
}

function scale(tallies: Tallies, k: number): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const [label, t] of tallies) {
    out.set(label, { requests: t.requests * k, items: t.items * k, units: t.units * k, ms: t.ms * k });
  }
  return out;
}

/** The headline figures of one size. */
export function summaryOf(f: SizeFigures) {
  const w = sumTallies(f.perBatch, isDdbWrite);
  const r = sumTallies(f.perBatch, isDdbRead);
  return {
    writes: w.requests,
    reads: r.requests,
    wru: w.units,
    rru: r.units,
    gets: sumTallies(f.perBatch, isS3Get).requests,
    puts: sumTallies(f.perBatch, isS3Put).requests,
    runWrites: sumTallies(f.perRun, isDdbWrite).requests,
    runReads: sumTallies(f.perRun, isDdbRead).requests,
    runS3: sumTallies(f.perRun, (l) => l.startsWith('s3 ')).requests,
  };
}

const f2 = (x: number) => (Math.abs(x) < 0.0005 ? '0' : Math.abs(x) < 0.1 ? x.toFixed(3) : x.toFixed(2));

/** Per label at one size: requests and units per batch, requests per run. */
export function printBreakdown(f: SizeFigures): void {
  const labels = [...new Set([...f.perBatch.keys(), ...f.perRun.keys()])].sort();
  const rows = labels
    .map((label) => {
      const b = f.perBatch.get(label);
      const r = f.perRun.get(label);
      return [label, f2(b?.requests ?? 0), f2(b?.units ?? 0), f2(r?.requests ?? 0), f2(r?.units ?? 0)];
    })
    .filter((row) => row.slice(1).some((v) => v !== '0'));
  console.log(
    `requests by command and target, ${f.size} items/batch (B batch, A attempt, R run, META job/data set, E catalog entry):`,
  );
  printTable(['request', 'per batch', 'units/batch', 'per run', 'units/run'], rows);
}

export async function bookkeepingBench(): Promise<string> {
  const local = await startBenchLocal({ units: true });
  try {
    const all: SizeFigures[] = [];
    for (const size of BOOKKEEPING_SIZES) all.push(await measureSize(local, size));
    const rows = all.map((f) => {
      const s = summaryOf(f);
      return [
        f.size,
        f2(s.writes),
        f2(s.wru),
        f2(s.reads),
        f2(s.rru),
        f2(s.gets),
        f2(s.puts),
        `${s.runWrites} / ${s.runReads} / ${s.runS3}`,
      ];
    });
    console.log(
      `per batch = (run of ${2 * BATCHES} batches - run of ${BATCHES}) / ${BATCHES}, Plan's reservation counted as 1/${CUT_MAX} request per batch; per run = what a run adds once; WRU estimated from item sizes and indexes (bench/support/write-units.ts), RRU = DynamoDB Local's ConsumedCapacity`,
    );
    printTable(
      ['items/batch', 'DDB writes', 'WRU', 'DDB reads', 'RRU', 'S3 GET', 'S3 PUT', 'per run W / R / S3'],
      rows,
    );
    const big = all.find((f) => f.size === 1_000);
    if (big) printBreakdown(big);
    const pairs = all.flatMap((f) => {
      const s = summaryOf(f);
      return [
        `ddb_writes_${f.size}=${f2(s.writes)}`,
        `ddb_reads_${f.size}=${f2(s.reads)}`,
        `s3_${f.size}=${f2(s.gets + s.puts)}`,
      ];
    });
    return `bookkeeping: ${pairs.join(' ')}`;
  } finally {
    await local.stop();
  }
}
