import { beforeAll, describe, expect, it } from 'vitest';
import { JobNotFoundError, ValidationError } from '../../../core/errors.ts';
import { createJob, deleteJob, getJob, updateJobConfig } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { type CoreEnv, coreEnv, seedDataset } from '../../support/core-env.ts';
import { countItems } from '../../support/local.ts';

const job = { jobId: 'j', datasetId: 'ds', processor: { name: 'noop' }, batching: { by: 'count', size: 10 } };
const run = (over: Record<string, unknown>) => ({ jobId: 'j', mode: 'incremental', ...over });
const twoKb = 'x'.repeat(2048);

type Case = readonly [name: string, call: (e: CoreEnv) => Promise<unknown>, field: string];

const cases: Case[] = [
  [
    'negative idStart',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: -5, idEnd: 10 }), 'r'),
    'idStart',
  ],
  ['zero idEnd', (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 1, idEnd: 0 }), 'r'), 'idEnd'],
  [
    'fractional idStart',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 1.5, idEnd: 10 }), 'r'),
    'idStart',
  ],
  ['huge idEnd', (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 1, idEnd: 2 ** 60 }), 'r'), 'idEnd'],
  [
    'non-numeric idStart',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: '10', idEnd: 20 }), 'r'),
    'idStart',
  ],
  [
    'NaN idEnd',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 1, idEnd: Number.NaN }), 'r'),
    'idEnd',
  ],
  [
    'Infinity idEnd',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 1, idEnd: Number.POSITIVE_INFINITY }), 'r'),
    'idEnd',
  ],
  [
    'idStart > idEnd',
    (e) => planRun(e.deps, run({ mode: 'backfill', idStart: 20, idEnd: 10 }), 'r'),
    'idStart',
  ],
  ['backfill without bounds', (e) => planRun(e.deps, run({ mode: 'backfill' }), 'r'), 'idStart'],
  ['bounds on incremental', (e) => planRun(e.deps, run({ idStart: 1 }), 'r'), 'idStart'],
  ['unknown mode', (e) => planRun(e.deps, run({ mode: 'everything' }), 'r'), 'mode'],
  ['missing jobId', (e) => planRun(e.deps, { mode: 'incremental' }, 'r'), 'jobId'],
  ['empty jobId', (e) => planRun(e.deps, run({ jobId: '' }), 'r'), 'jobId'],
  ['2 KB jobId', (e) => planRun(e.deps, run({ jobId: twoKb }), 'r'), 'jobId'],
  ['jobId with #', (e) => planRun(e.deps, run({ jobId: 'a#b' }), 'r'), 'jobId'],
  ['jobId with /', (e) => planRun(e.deps, run({ jobId: 'a/b' }), 'r'), 'jobId'],
  ['unicode jobId', (e) => planRun(e.deps, run({ jobId: 'címek' }), 'r'), 'jobId'],
  ['unknown field', (e) => planRun(e.deps, run({ idStrat: 5 }), 'r'), '(root)'],
  ['input not an object', (e) => planRun(e.deps, 'incremental', 'r'), '(root)'],
  ['input null', (e) => planRun(e.deps, null, 'r'), '(root)'],
  ['input an array', (e) => planRun(e.deps, [run({})], 'r'), '(root)'],
  ['input a number', (e) => planRun(e.deps, 42, 'r'), '(root)'],
  ['sample without every', (e) => planRun(e.deps, run({ mode: 'sample' }), 'r'), 'every'],
  ['every = 0', (e) => planRun(e.deps, run({ mode: 'sample', every: 0 }), 'r'), 'every'],
  ['limit on incremental', (e) => planRun(e.deps, run({ limit: 5 }), 'r'), 'limit'],
  ['maxBatches = 0', (e) => planRun(e.deps, run({ maxBatches: 0 }), 'r'), 'maxBatches'],
  [
    'toleratedFailurePercentage 150',
    (e) => planRun(e.deps, run({ toleratedFailurePercentage: 150 }), 'r'),
    'toleratedFailurePercentage',
  ],
  ['bad run id', (e) => planRun(e.deps, run({}), 'run id with spaces'), 'runId'],
  [
    'job: weight <= 0',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'weight', target: 0 } }),
    'batching.target',
  ],
  [
    'job: weight under 1 KiB',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'weight', target: 10 } }),
    'batching.target',
  ],
  [
    'job: weight over 10 GiB',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'weight', target: 11 * 1024 ** 3 } }),
    'batching.target',
  ],
  [
    'job: NaN weight',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'weight', target: Number.NaN } }),
    'batching.target',
  ],
  [
    'job: batch size fractional',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'count', size: 2.5 } }),
    'batching.size',
  ],
  [
    'job: unknown batching',
    (e) => createJob(e.deps, { ...job, jobId: 'k', batching: { by: 'bytes', size: 5 } }),
    'batching.by',
  ],
  [
    'job: config not JSON (a function)',
    (e) => createJob(e.deps, { ...job, jobId: 'k', config: { f: () => 1 } }),
    'config.f',
  ],
  [
    'job: config not an object',
    (e) => createJob(e.deps, { ...job, jobId: 'k', config: '{"a":1}' }),
    'config',
  ],
  [
    'job: empty description',
    (e) => createJob(e.deps, { ...job, jobId: 'k', description: '' }),
    'description',
  ],
  [
    'job: 2 KB description',
    (e) => createJob(e.deps, { ...job, jobId: 'k', description: twoKb }),
    'description',
  ],
  ['job: datasetId with #', (e) => createJob(e.deps, { ...job, jobId: 'k', datasetId: 'd#1' }), 'datasetId'],
  ['job: unicode id', (e) => createJob(e.deps, { ...job, jobId: 'job-ő' }), 'jobId'],
  ['getJob with /', (e) => getJob(e.deps, '../etc'), '(root)'],
  ['update-config of unknown job', (e) => updateJobConfig(e.deps, 'nope', {}), 'jobId'],
  ['delete with #', (e) => deleteJob(e.deps, 'a#b'), '(root)'],
  [
    'register: weight <= 0',
    (e) =>
      e.deps.catalog.register('ds', [{ count: 1, location: 's3://b/k', format: 'object', weights: 0 }], 'x'),
    'entries.0.weights',
  ],
  [
    'register: count 0',
    (e) =>
      e.deps.catalog.register('ds', [{ count: 0, location: 's3://b/k', format: 'jsonl', weights: 1 }], 'x'),
    'entries.0.count',
  ],
  [
    'register: NaN weight in list',
    (e) =>
      e.deps.catalog.register(
        'ds',
        [{ count: 2, location: 's3://b/k', format: 'jsonl', weights: [1, Number.NaN] }],
        'x',
      ),
    'entries.0.weights',
  ],
];

describe('bad input', () => {
  let e: CoreEnv;
  let before: Awaited<ReturnType<typeof countItems>>;
  beforeAll(async () => {
    e = await coreEnv('bad-input');
    await seedDataset(e.deps, 'ds', 100);
    await createJob(e.deps, job);
    before = await countItems(e.env);
  });

  it(`has at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%s: a typed error naming the field, and nothing written', async (_name, call, field) => {
    const error = await call(e).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (field === 'jobId' && error instanceof JobNotFoundError) {
      expect(error.context.jobId).toBe('nope');
    } else {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations.map((v) => v.field)).toContain(field);
      expect((error as ValidationError).message).toMatch(/must|unknown|invalid|required|allowed|shape/i);
    }
    expect(await countItems(e.env)).toEqual(before);
    expect((await e.deps.objects.list(e.deps.buckets.work, '')).items).toEqual([]);
  });
});
