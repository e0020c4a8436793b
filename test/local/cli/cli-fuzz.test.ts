import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/commands/main.ts';
import { memoryIo } from '../../../cli/output.ts';
import { ENDPOINT_ENV, LOCAL_CREDENTIALS } from '../../../core/adapters/clients.ts';
import { ENV } from '../../../core/contracts/tables.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { type CoreEnv, coreEnv, seedDataset } from '../../support/core-env.ts';
import { countItems } from '../../support/local.ts';

/** Words a user types: commands (but never `local`, which would start engines), flags, and values. */
const WORDS = [
  'datasets',
  'jobs',
  'run',
  'runs',
  'batches',
  'exceptions',
  'diagnose',
  'list',
  'show',
  'create',
  'register',
  'update-config',
  'delete',
  'resolve',
  'requeue',
];
const FLAGS = [
  '--json',
  '--help',
  '--from',
  '--to',
  '--retry-failed',
  '--sample-every',
  '--limit',
  '--max-batches',
  '--status',
  '--drift',
  '--dataset',
  '--processor',
  '--config',
  '--batch-size',
  '--batch-weight',
  '--description',
  '--note',
  '--id',
  '--force',
  '--max-concurrency',
  '--bogus',
  '-x',
  '--',
];
const VALUES = [
  'j',
  'ds',
  'noop',
  '0',
  '-1',
  '1.5',
  '10',
  '99999999999999999999',
  'NaN',
  '',
  ' ',
  '{}',
  '{"a":1}',
  '{bad',
  '[1]',
  'a#b',
  'ő',
  'x'.repeat(300),
  'SUCCEEDED',
  'OPEN',
  '1',
  '5',
];

const argv = fc.array(
  fc.oneof(
    fc.constantFrom(...WORDS),
    fc.constantFrom(...FLAGS),
    fc.constantFrom(...VALUES),
    fc.string({ maxLength: 8 }),
  ),
  {
    minLength: 0,
    maxLength: 7,
  },
);
/** Lines that start the way real commands do, so that many cases get past the first word. */
const shaped = fc
  .tuple(
    fc.constantFrom(
      ['jobs', 'create', 'k'],
      ['jobs', 'show'],
      ['run', 'j'],
      ['batches', 'j'],
      ['exceptions', 'list', 'j'],
      ['runs', 'list'],
      ['diagnose', 'j'],
      ['jobs', 'update-config', 'j'],
    ),
    argv,
  )
  .map(([head, tail]) => [...head, ...tail]);

describe('fuzzing CLI arguments', () => {
  let e: CoreEnv;
  beforeAll(async () => {
    e = await coreEnv('cli-fuzz');
    await seedDataset(e.deps, 'ds', 50);
    await createJob(e.deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
    });
    // The CLI's AWS target, pointed at this test's engines; Step Functions at a closed loopback port.
    Object.assign(process.env, {
      [ENV.catalogTable]: e.env.tables.catalog,
      [ENV.inventoryTable]: e.env.tables.inventory,
      [ENV.exceptionsTable]: e.env.tables.exceptions,
      [ENV.workBucket]: e.env.bucket,
      [ENV.dataBucket]: e.env.dataBucket,
      [ENV.stateMachineArn]: 'arn:aws:states:us-east-1:000000000000:stateMachine:none',
      [ENDPOINT_ENV.dynamodb]: e.env.endpoints.dynamodb,
      [ENDPOINT_ENV.s3]: e.env.endpoints.s3,
      [ENDPOINT_ENV.sfn]: 'http://127.0.0.1:9',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_MAX_ATTEMPTS: '1',
    });
  });

  it('1,000 seeded command lines: each exits 0, 1 with a typed error, or 2 with the usage, and a usage error writes nothing', async () => {
    let last = await countItems(e.env);
    const codes = [0, 0, 0];
    await fc.assert(
      fc.asyncProperty(fc.oneof(argv, shaped), async (args) => {
        const io = memoryIo();
        const code = await main(args, io);
        expect([0, 1, 2], `${JSON.stringify(args)} -> ${code}`).toContain(code);
        codes[code] = (codes[code] ?? 0) + 1;
        const now = await countItems(e.env);
        if (code === 2) {
          expect(io.stderr, JSON.stringify(args)).toMatch(/usage|batchkeeper/i);
          expect(now, `usage error wrote: ${JSON.stringify(args)}`).toEqual(last);
        }
        if (code === 1) expect(io.stderr + io.stdout, JSON.stringify(args)).not.toMatch(/^\s+at /m);
        last = now;
      }),
      { numRuns: 1000, seed: 4242 },
    );
    expect(codes[2]).toBeGreaterThan(300);
    expect(codes[0]).toBeGreaterThan(10);
  });
});
