import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createTables, tableNamesFor } from '../cli/local/create-resources.ts';
import { keys, type TableNames } from '../core/contracts/tables.ts';
import { createJob } from '../core/jobs/jobs.ts';
import { type Floor, runFloor, writePlan } from './support/floor.ts';
import {
  type BenchLocal,
  historyOf,
  runExecution,
  seedJsonl,
  shapeOf,
  startBenchLocal,
} from './support/local-run.ts';
import { cpuBetween, cpuSeconds, machineNote, rssSampler } from './support/machine.ts';
import { replayOf, runReplayFloor } from './support/replay-floor.ts';
import {
  diffTallies,
  isDdbRead,
  isDdbWrite,
  isS3Get,
  isS3Put,
  type Recorded,
  sumTallies,
  type Tally,
} from './support/request-log.ts';
import { printTable } from './support/table.ts';

const OBJECTS = 1_000;
const PER_OBJECT = 1_000;
const ITEMS = OBJECTS * PER_OBJECT;
/** The job's maxConcurrency (the Map's MaxConcurrency); the floor runs as many batches at once. */
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 10);
/** Job-then-floor rounds over the same data: this machine is shared, so one round can land on a busy minute. */
const ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 3);
/** Batches of the unmeasured warm-up job (and objects of its floor). */
const WARM_UP_BATCHES = 100;
const MiB = 1024 * 1024;

/** A job run as the rounds keep it: without its recording, which is let go once replayed. */
type JobRun = Omit<Awaited<ReturnType<typeof runJob>>, keyof Recording>;
/** What the replayed floor needs of a job run: its requests, and its job record as the run found it. */
interface Recording {
  readonly recorded: Recorded[];
  readonly jobItem: Record<string, unknown>;
}
interface Round {
  readonly job: JobRun;
  readonly floor: Floor;
  readonly ratio: number;
  /** The replayed floor: the run's own DynamoDB writes sent again directly (support/replay-floor.ts). */
  readonly replayed: Floor;
  readonly replayedRatio: number;
}

/**
 * A 1,000,000-item job (1,000 JSON Lines objects of 1,000 records, 1,000 items per batch) with the noop processor,
 * started through the local Step Functions endpoint and timed to its end; then two floors, each issued directly at
 * the same concurrency in the same run: the plain floor, the same S3 reads and writes and as many DynamoDB writes
 * of the same kinds on bare items (support/floor.ts); and the replayed floor, the same S3 reads and writes and the
 * run's own DynamoDB write requests sent again (support/replay-floor.ts). Data generation and registration are
 * timed apart and are part of neither. The median round by the plain floor is reported.
 */
export async function e2eBench(): Promise<string> {
  const local = await startBenchLocal();
  try {
    console.log(`before: ${machineNote()}`);
    const seeded = performance.now();
    await seedJsonl(local.mode, 'e2e', OBJECTS, PER_OBJECT);
    const seedS = (performance.now() - seeded) / 1000;
    const floorTables = tableNamesFor('bench-floor');
    await createTables(local.mode.clients.ddb, floorTables);
    const replayTables = tableNamesFor('bench-replay');
    await createTables(local.mode.clients.ddb, replayTables);
    const floors = { table: floorTables.inventory, replay: replayTables };
    await warmUp(local, floors);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { recorded, jobItem, ...job } = await runJob(local, `e2e-${round}`);
      const writes = writePlan(job.tallies, OBJECTS);
      const floor = await runFloor(local, {
        table: floorTables.inventory,
        objects: OBJECTS,
        concurrency: CONCURRENCY,
        writes,
        round,
      });
      const replayed = await replay(local, { recorded, jobItem }, replayTables, round);
      rounds.push({
        job,
        floor,
        ratio: job.wallMs / floor.wallMs,
        replayed,
        replayedRatio: job.wallMs / replayed.wallMs,
      });
      console.log(`round ${round + 1}: ${machineNote()}`);
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)] as Round;
    const peak = Math.max(...rounds.map((r) => r.job.peak));
    printRounds(rounds, seedS);
    report(median);
    const { job, floor } = median;
    const replayedMedian = [...rounds].sort((a, b) => a.replayedRatio - b.replayedRatio)[
      Math.floor(rounds.length / 2)
    ] as Round;
    return `e2e: items=${ITEMS} wall_s=${(job.wallMs / 1000).toFixed(1)} items_per_s=${(ITEMS / (job.wallMs / 1000)).toFixed(0)} peak_rss_mib=${(peak / MiB).toFixed(0)} floor_s=${(floor.wallMs / 1000).toFixed(1)} ratio=${median.ratio.toFixed(2)} replayed_floor_ratio=${replayedMedian.replayedRatio.toFixed(2)} concurrency=${CONCURRENCY} rounds=${ROUNDS}`;
  } finally {
    await local.stop();
  }
}

/**
 * One small job and its floor before the rounds, not measured: otherwise the first round's job alone pays for
 * warming up (JIT in Node and in DynamoDB Local's JVM), as every floor runs after a job.
 */
async function warmUp(local: BenchLocal, floors: { table: string; replay: TableNames }): Promise<void> {
  const batches = WARM_UP_BATCHES;
  const job = await runJob(local, 'e2e-warm-up', batches);
  const floor = await runFloor(local, {
    table: floors.table,
    objects: batches,
    concurrency: CONCURRENCY,
    writes: writePlan(job.tallies, batches),
    round: -1,
  });
  const replayed = await replay(local, job, floors.replay, -1);
  console.log(
    `warm-up (not measured): ${batches} batches, job ${sec(job.wallMs)} s, floor ${sec(floor.wallMs)} s, replayed floor ${sec(replayed.wallMs)} s; ${machineNote()}`,
  );
}

/** The replayed floor of a job run. */
function replay(local: BenchLocal, job: Recording, into: TableNames, round: number): Promise<Floor> {
  const { tables, buckets } = local.mode.state;
  return runReplayFloor(local, {
    replay: replayOf(job.recorded, { dataBucket: buckets.data }),
    tables,
    into,
    seed: [{ table: tables.inventory, item: job.jobItem }],
    concurrency: CONCURRENCY,
    round,
  });
}

async function runJob(local: BenchLocal, jobId: string, maxBatches = OBJECTS) {
  const spec = {
    jobId,
    datasetId: 'e2e',
    processor: { name: 'noop' },
    batching: { by: 'count', size: PER_OBJECT },
  };
  await createJob(local.mode.deps, { ...spec, maxConcurrency: CONCURRENCY });
  const { Item: jobItem } = await local.mode.clients.doc.send(
    new GetCommand({
      TableName: local.mode.state.tables.inventory,
      Key: keys.job(jobId),
      ConsistentRead: true,
    }),
  );
  if (!jobItem) throw new Error(`job ${jobId} was not created`);
  const before = local.log.snapshot();
  const recording = local.log.record();
  const sampler = rssSampler();
  const cpu0 = cpuSeconds();
  const input = maxBatches < OBJECTS ? { maxBatches } : {};
  const run = await runExecution(local, { jobId, mode: 'incremental', ...input }, 1_800_000);
  const cpu = cpuBetween(cpu0, cpuSeconds());
  const recorded = recording.stop();
  const { peak, childPeak } = sampler.stop();
  const tallies = diffTallies(local.log.snapshot(), before);
  const out = run.output as { itemsSucceeded?: number; batchesSucceeded?: number } | null;
  if (run.status !== 'SUCCEEDED' || out?.itemsSucceeded !== maxBatches * PER_OBJECT) {
    throw new Error(`e2e run ${jobId} ended ${run.status} with ${JSON.stringify(out)}`);
  }
  const events = await historyOf(local.sfn, run.arn);
  const at = (type: string) => events.find((e) => e.type === type)?.timestamp?.getTime() ?? 0;
  const mapMs = at('MapStateExited') - at('MapStateEntered');
  const batches = out.batchesSucceeded ?? 0;
  const shape = shapeOf(events);
  return { wallMs: run.wallMs, peak, childPeak, tallies, cpu, shape, mapMs, batches, recorded, jobItem };
}

const sec = (ms: number) => (ms / 1000).toFixed(1);
/** CPU seconds of this process and the local engines together. */
const totalCpu = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);

function printRounds(rounds: Round[], seedS: number): void {
  console.log(
    `data generation + registration (not part of any round): ${seedS.toFixed(1)} s; concurrency ${CONCURRENCY}`,
  );
  printTable(
    [
      'round',
      'wall s',
      'items/s',
      'floor s',
      'wall / floor',
      'replayed floor s',
      'wall / replayed',
      'CPU s (floor, replayed)',
      'peak RSS MiB (Node)',
      'peak RSS MiB (engines)',
    ],
    rounds.map((r, i) => [
      i + 1,
      sec(r.job.wallMs),
      (ITEMS / (r.job.wallMs / 1000)).toFixed(0),
      sec(r.floor.wallMs),
      r.ratio.toFixed(2),
      sec(r.replayed.wallMs),
      r.replayedRatio.toFixed(2),
      `${totalCpu(r.job.cpu).toFixed(1)} (${totalCpu(r.floor.cpu).toFixed(1)}, ${totalCpu(r.replayed.cpu).toFixed(1)})`,
      `${mib(r.job.peak)} (floor ${mib(r.floor.peak)})`,
      mib(r.job.childPeak),
    ]),
  );
}

/** The median round in detail: requests, phases, CPU by process and latencies. */
function report({ job, floor, replayed }: Round): void {
  const count = (t: Map<string, Tally>, pick: (l: string) => boolean) => sumTallies(t, pick).requests;
  const requests = (t: Map<string, Tally>, a: (l: string) => boolean, b: (l: string) => boolean) =>
    `${count(t, a)} / ${count(t, b)}`;
  const childMs = [...job.shape.childMs].sort((a, b) => a - b);
  console.log('median round:');
  printTable(
    ['measure', 'framework (local mode)', 'floor (direct)', 'replayed floor (direct)'],
    [
      ['batches / concurrency', `${job.batches} / ${CONCURRENCY}`, `${OBJECTS} / ${CONCURRENCY}`, '-'],
      [
        'S3 GET / PUT',
        requests(job.tallies, isS3Get, isS3Put),
        requests(floor.tallies, isS3Get, isS3Put),
        requests(replayed.tallies, isS3Get, isS3Put),
      ],
      [
        'DynamoDB write / read requests',
        requests(job.tallies, isDdbWrite, isDdbRead),
        requests(floor.tallies, isDdbWrite, isDdbRead),
        requests(replayed.tallies, isDdbWrite, isDdbRead),
      ],
      [
        'Plan / Map / Finalize, s',
        `${sec(job.shape.taskMs.Plan ?? 0)} / ${sec(job.mapMs)} / ${sec(job.shape.taskMs.Finalize ?? 0)}`,
        '-',
        '-',
      ],
      [
        'child execution p50 / max, s',
        `${sec(childMs[Math.floor(childMs.length / 2)] ?? 0)} / ${sec(childMs.at(-1) ?? 0)}`,
        '-',
        '-',
      ],
    ],
  );
  const engines = [...new Set([...Object.keys(job.cpu), ...Object.keys(floor.cpu)])].filter(
    (k) => (job.cpu[k] ?? 0) + (floor.cpu[k] ?? 0) > 0.05,
  );
  console.log(
    `CPU seconds (2 cores: at most ${sec(2 * job.wallMs)} s in the framework's wall time, ${sec(2 * floor.wallMs)} s in the floor's)`,
  );
  printTable(
    ['process', 'framework', 'floor', 'replayed floor'],
    engines.map((k) => [
      k,
      (job.cpu[k] ?? 0).toFixed(1),
      (floor.cpu[k] ?? 0).toFixed(1),
      (replayed.cpu[k] ?? 0).toFixed(1),
    ]),
  );
  printLatencies('the framework run', job.tallies);
  printLatencies('the floor', floor.tallies);
  printLatencies('the replayed floor', replayed.tallies);
}

function printLatencies(what: string, tallies: Map<string, Tally>): void {
  const rows = [...tallies]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([label, t]) => [label, t.requests, (t.ms / t.requests).toFixed(1), (t.ms / 1000).toFixed(1)]);
  console.log(`requests of ${what}: count, mean latency (ms) and summed latency (s) as the client saw them`);
  printTable(['request', 'count', 'mean ms', 'sum s'], rows);
}
