import { join } from 'node:path';
import { outputPrefixOf } from '../../core/contracts/s3-keys.ts';
import { summarizeExceptions } from '../../core/exceptions/exceptions.ts';
import { formatCount } from '../output.ts';
import { type CompanyIdChunks, PLANTED_KINDS, writeCompanyIdChunks } from './company-ids.ts';
import { EXAMPLE_DIR } from './company-records.ts';
import { indent } from './report.ts';
import { cli, type DemoContext, DemoStepError, runAndWatch } from './scenario.ts';

export const COMMAND_JOB = 'company-identifiers';
const DATASET = 'company-ids';
const RECORDS = 20_000;

let planted: CompanyIdChunks | undefined;

export async function loadCompanyIds(ctx: DemoContext): Promise<void> {
  ctx.say.step(
    `generate ${formatCount(RECORDS)} company-registry records as scanned forms give them, register them`,
  );
  planted = await writeCompanyIdChunks(join(ctx.dataDir, 'company-ids'), {
    seed: 2026,
    count: RECORDS,
    perFile: 10_000,
  });
  const bad = Object.values(planted.bad).reduce((a, b) => a + b, 0);
  ctx.say.say(
    `${formatCount(planted.messy)} records with identifiers spelled otherwise (fixable), ${formatCount(bad)} with identifiers no clerk could fix`,
  );
  await cli(ctx, [
    'datasets',
    'register',
    DATASET,
    planted.dir,
    '--description',
    'registry extract, scanned',
  ]);
}

export async function createCommandJob(ctx: DemoContext): Promise<void> {
  ctx.say.step(
    'create a job on the company-records command processor (python3 main.py, one process per batch)',
  );
  ctx.say.say(`the command: ${join(EXAMPLE_DIR, 'main.py')} (contract: docs/command-processors.md)`);
  await cli(ctx, [
    'jobs',
    'create',
    COMMAND_JOB,
    '--dataset',
    DATASET,
    '--processor',
    'company-records',
    '--batch-size',
    '1000',
    '--max-concurrency',
    '4',
    '--description',
    'validate and normalise registry numbers and names',
  ]);
}

/** The run through Step Functions; every planted bad record must come back as an exception of its kind. */
export async function commandRun(ctx: DemoContext): Promise<void> {
  ctx.say.step(
    'run it: each batch is staged in a work folder, run by python3, read back, committed under its lease',
  );
  const outcome = await runAndWatch(ctx, 'company ids', { jobId: COMMAND_JOB, mode: 'incremental' }, []);
  const bad = planted?.bad;
  if (!bad) throw new DemoStepError('company ids', 'the records must be generated first');
  const summary = await summarizeExceptions(ctx.target.deps, COMMAND_JOB, { status: 'OPEN' });
  for (const kind of PLANTED_KINDS)
    if ((summary.byKind[kind] ?? 0) !== bad[kind])
      throw new DemoStepError(
        'company ids',
        `${bad[kind]} records spoiled as ${kind}, ${summary.byKind[kind] ?? 0} set aside`,
      );
  const plantedTotal = Object.values(bad).reduce((a, b) => a + b, 0);
  if (outcome.items.excepted !== plantedTotal || outcome.items.succeeded !== RECORDS - plantedTotal)
    throw new DemoStepError(
      'company ids',
      `expected ${RECORDS - plantedTotal} outputs and ${plantedTotal} exceptions`,
    );
  ctx.say.say(
    'every record spoiled on purpose was set aside with the kind it was spoiled for; every other one normalised',
  );
  await cli(ctx, ['exceptions', 'summary', COMMAND_JOB]);
}

/** One normalised record, from the batch objects the runs wrote. */
export async function commandOutputs(ctx: DemoContext): Promise<void> {
  ctx.say.step('the outputs');
  const { deps, buckets } = ctx.target;
  const prefix = outputPrefixOf(COMMAND_JOB, { kind: 'inventory' });
  const first = (await deps.objects.list(buckets.work, prefix, { limit: 1 })).items[0];
  if (!first) throw new DemoStepError('outputs', `nothing under ${prefix}`);
  const body = Buffer.from((await deps.objects.get(buckets.work, first.key)) ?? new Uint8Array()).toString(
    'utf8',
  );
  const line = body.split('\n').find((l) => l.includes('"registryNumber"')) ?? '';
  ctx.say.say(`s3://${buckets.work}/${first.key}, one line:`);
  ctx.say.io.out(indent(JSON.stringify(JSON.parse(line), null, 2)));
  ctx.say.step('summary');
  ctx.say.io.out(indent(ctx.say.summary()));
}
