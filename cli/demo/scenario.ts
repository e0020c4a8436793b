import { join } from 'node:path';
import { outputPrefixOf } from '../../core/contracts/s3-keys.ts';
import { BatchkeeperError } from '../../core/errors.ts';
import type { RunInput } from '../../core/events.ts';
import { main } from '../commands/main.ts';
import { type RunOutcome, startRun, waitForRun } from '../commands/run-wait.ts';
import { formatCount, memoryIo, progressReporter } from '../output.ts';
import type { Target } from '../target.ts';
import { writeChunks } from './data.ts';
import { indent, type Narrator } from './report.ts';

/** A step of the demo did not turn out as the story says it must. */
export class DemoStepError extends BatchkeeperError {
  constructor(step: string, detail: string) {
    super(`${step}: ${detail}`, { step, detail });
  }
}

export interface DemoContext {
  readonly target: Target;
  /** The target CLI commands run against, when the demo's processors are not the project's. @default the flags' */
  readonly cliTarget?: Target;
  readonly dataDir: string;
  readonly say: Narrator;
}

export const JOB = 'company-addresses';
export const DATASET = 'companies';
const SEED = 2024;
const FIRST_LOAD = 100_000;
const PER_FILE = 10_000;
const NEW_RECORDS = 5_000;
export const BATCH_SIZE = 1_000;
export const BACKFILL_END = 10_000;

/**
 * Run one CLI command in-process against the demo's local mode, the way a user would type it, and print its
 * output under the narration (at most `maxLines` lines of it). A non-zero exit fails the demo.
 */
export async function cli(
  ctx: DemoContext,
  args: readonly string[],
  show: { lines?: number; more?: boolean } = {},
): Promise<string> {
  ctx.say.command(args);
  const io = memoryIo();
  const target = ctx.cliTarget ? { target: ctx.cliTarget } : {};
  const code = await main([...args, '--local', '--data-dir', ctx.dataDir], io, target);
  const lines = io.stdout.trimEnd().split('\n');
  const max = show.lines ?? 40;
  const shown = lines.slice(0, max).join('\n');
  const more =
    lines.length > max && show.more !== false ? `\n... (${formatCount(lines.length - max)} more lines)` : '';
  ctx.say.io.out(indent(`${shown}${more}`));
  if (code !== 0)
    throw new DemoStepError(`batchkeeper ${args.join(' ')}`, `exit code ${code}: ${io.stderr.trim()}`);
  return io.stdout;
}

/** Start a run through Step Functions' API on the local endpoint and show its progress until it ends. */
export async function runAndWatch(
  ctx: DemoContext,
  label: string,
  input: RunInput,
  flags: readonly string[],
): Promise<RunOutcome> {
  ctx.say.command(['run', input.jobId, ...flags, '--wait']);
  const started = await startRun(ctx.target, input);
  // Progress goes with the narration (stdout), so that a log of the demo reads in order.
  const io = { ...ctx.say.io, err: ctx.say.io.out, errIsTty: process.stdout.isTTY === true };
  const progress = progressReporter(io, `           ${started.runId}`, 1_500);
  const outcome = await waitForRun(ctx.target, started, {
    onProgress: (p) => progress.update(p),
    intervalMs: 250,
  });
  progress.done();
  ctx.say.run(label, outcome);
  if (outcome.status !== 'SUCCEEDED')
    throw new DemoStepError(label, `the run ended ${outcome.status}: ${outcome.error?.message ?? ''}`);
  return outcome;
}

export async function loadFirstRecords(ctx: DemoContext): Promise<void> {
  ctx.say.step(
    `generate ${formatCount(FIRST_LOAD)} company-registry records (${FIRST_LOAD / PER_FILE} JSON Lines files), upload and register them`,
  );
  const chunks = await writeChunks(join(ctx.dataDir, 'input-1'), {
    seed: SEED,
    start: 1,
    count: FIRST_LOAD,
    perFile: PER_FILE,
  });
  ctx.say.say(
    `${chunks.files.length} files in ${chunks.dir}, ${formatCount(chunks.bad)} records (${((chunks.bad / chunks.records) * 100).toFixed(1)}%) with a bad address`,
  );
  await cli(ctx, [
    'datasets',
    'register',
    DATASET,
    chunks.dir,
    '--description',
    'Hungarian company registry extract',
  ]);
}

export async function createAddressJob(ctx: DemoContext): Promise<void> {
  ctx.say.step('create an address-normalisation job');
  await cli(ctx, [
    'jobs',
    'create',
    JOB,
    '--dataset',
    DATASET,
    '--processor',
    'normalize-address',
    '--batch-size',
    String(BATCH_SIZE),
    '--max-concurrency',
    '8',
    '--description',
    'normalise postal addresses',
  ]);
}

export async function firstRun(ctx: DemoContext): Promise<void> {
  ctx.say.step('run it incrementally through the Step Functions API (StartExecution on the local endpoint)');
  await runAndWatch(ctx, 'first load', { jobId: JOB, mode: 'incremental' }, []);
}

/** New records land; the next incremental run must plan exactly their batches and nothing else. */
export async function newRecordsRun(ctx: DemoContext): Promise<void> {
  ctx.say.step(`add ${formatCount(NEW_RECORDS)} new records; the next incremental run processes only those`);
  const start = FIRST_LOAD + 1;
  const chunks = await writeChunks(join(ctx.dataDir, 'input-2'), {
    seed: SEED,
    start,
    count: NEW_RECORDS,
    perFile: NEW_RECORDS,
  });
  await cli(ctx, ['datasets', 'register', DATASET, chunks.dir]);
  const outcome = await runAndWatch(ctx, 'new records', { jobId: JOB, mode: 'incremental' }, []);
  const expected = NEW_RECORDS / BATCH_SIZE;
  if (outcome.batches.planned !== expected)
    throw new DemoStepError(
      'new records',
      `planned ${outcome.batches.planned} batches, expected ${expected}`,
    );
  ctx.say.say(
    `only ids ${formatCount(start)}..${formatCount(start + NEW_RECORDS - 1)} were planned: ${expected} batches, nothing already done was touched`,
  );
}

/** A new config makes every batch drift; a backfill of a range brings that range back to the current config. */
export async function configChangeAndBackfill(ctx: DemoContext): Promise<void> {
  ctx.say.step('change the config and reprocess ids 1..10,000 with a backfill');
  await cli(ctx, ['jobs', 'update-config', JOB, '--config', '{"uppercaseCity": true}'], {
    lines: 1,
    more: false,
  });
  const input = { jobId: JOB, mode: 'backfill', idStart: 1, idEnd: BACKFILL_END } as const;
  await runAndWatch(ctx, 'backfill', input, ['--from', '1', '--to', String(BACKFILL_END)]);
  ctx.say.step('the drift listing: batches completed with another config than the current one');
  await cli(ctx, ['batches', JOB, '--drift'], { lines: 7 });
}

/** The closing table, and where a user finds what the runs wrote. */
export async function closing(ctx: DemoContext): Promise<void> {
  ctx.say.step('summary');
  ctx.say.io.out(indent(ctx.say.summary()));
  const { deps, buckets } = ctx.target;
  const prefix = outputPrefixOf(JOB, { kind: 'inventory' });
  const first = (await deps.objects.list(buckets.work, prefix, { limit: 1 })).items[0];
  ctx.say.say(`outputs: s3://${buckets.work}/${prefix} (one JSON Lines object per batch)`);
  if (!first) return;
  const body = await deps.objects.get(buckets.work, first.key);
  const line =
    Buffer.from(body ?? new Uint8Array())
      .toString('utf8')
      .split('\n')[0] ?? '';
  ctx.say.say(`s3://${buckets.work}/${first.key}, first line:`);
  ctx.say.say(line);
}
