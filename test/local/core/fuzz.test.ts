import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { RequestCounter } from '../../../bench/support/request-counter.ts';
import { BatchkeeperError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { type CoreEnv, coreEnv, seedDataset } from '../../support/core-env.ts';

/** Values a hostile or careless caller sends: right keys with wrong values, and junk. */
const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 3000 }),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, 0, -0, 1.5),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '',
    'j',
    'a#b',
    'a/b',
    'ő',
    'x'.repeat(2048),
    'incremental',
    'backfill',
    'sample',
    'retry-failed',
  ),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** Inputs that should plan: the four modes with fitting fields. */
const validRun = fc.oneof(
  fc.record({
    jobId: fc.constant('j'),
    mode: fc.constantFrom('incremental', 'retry-failed'),
    maxBatches: fc.integer({ min: 1, max: 5 }),
  }),
  fc
    .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 120 }))
    .map(([a, d]) => ({ jobId: 'j', mode: 'backfill', idStart: a, idEnd: a + d, maxBatches: 3 })),
  fc.record({
    jobId: fc.constant('j'),
    mode: fc.constant('sample'),
    every: fc.integer({ min: 1, max: 50 }),
    limit: fc.integer({ min: 1, max: 20 }),
  }),
);

const runInput = fc.oneof(
  { arbitrary: validRun, weight: 1 },
  {
    arbitrary: fc.record(
      {
        jobId: fc.oneof(fc.constant('j'), anyValue),
        mode: fc.oneof(fc.constantFrom('incremental', 'backfill', 'retry-failed', 'sample'), anyValue),
        idStart: fc.oneof(fc.integer({ min: 1, max: 400 }), anyValue),
        idEnd: fc.oneof(fc.integer({ min: 1, max: 400 }), anyValue),
        maxBatches: fc.oneof(fc.integer({ min: 1, max: 5 }), anyValue),
        every: fc.oneof(fc.integer({ min: 1, max: 50 }), anyValue),
        limit: fc.oneof(fc.integer({ min: 1, max: 20 }), anyValue),
        toleratedFailurePercentage: anyValue,
        surprise: anyValue,
      },
      { requiredKeys: [] },
    ),
    weight: 3,
  },
  { arbitrary: anyValue, weight: 1 },
);

/** Each case is a valid run (a plan) or a typed error with no write at all; never a crash. */
async function check(counter: RequestCounter, call: () => Promise<unknown>) {
  counter.reset();
  try {
    await call();
    return 'ok';
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(BatchkeeperError);
    expect(counter.writes, `a rejected input wrote: ${String(error)}`).toBe(0);
    expect(counter.count('PutObjectCommand')).toBe(0);
    return (error as Error).name;
  }
}

describe('fuzzing', () => {
  let e: CoreEnv;
  const counter = new RequestCounter();
  beforeAll(async () => {
    e = await coreEnv('fuzz');
    counter.attach(e.env.clients.ddb).attach(e.env.clients.s3);
    await seedDataset(e.deps, 'ds', 400, { chunk: 200 });
    await createJob(e.deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 50 },
    });
  });

  it('execution inputs: 1,000 seeded cases, each a plan or a typed error before any write', async () => {
    const outcomes = new Map<string, number>();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(runInput, async (input) => {
        const outcome = await check(counter, () => planRun(e.deps, input, `fz-${n++}`));
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 1000, seed: 20261122 },
    );
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('ValidationError') ?? 0).toBeGreaterThan(500);
  });

  it('job specs and processor configs: 1,000 seeded cases', async () => {
    const spec = fc.record(
      {
        jobId: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), anyValue),
        datasetId: fc.oneof(fc.constant('ds'), anyValue),
        processor: fc.oneof(
          fc.record({ name: fc.constantFrom('noop', 'normalize-address', 'nope') }),
          anyValue,
        ),
        config: fc.oneof(
          fc.record(
            {
              streetTypeStyle: fc.oneof(fc.constantFrom('full', 'abbreviated'), anyValue),
              uppercaseCity: fc.oneof(fc.boolean(), anyValue),
            },
            { requiredKeys: [] },
          ),
          anyValue,
        ),
        batching: fc.oneof(
          fc.record(
            { by: fc.constantFrom('count', 'weight'), size: anyValue, target: anyValue },
            { requiredKeys: ['by'] },
          ),
          anyValue,
        ),
        description: anyValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        await check(counter, () => createJob(e.deps, s));
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it('data set records: 1,000 seeded registrations, each registered or refused before any write', async () => {
    const entry = fc.record(
      {
        count: fc.oneof(fc.integer({ min: 1, max: 5 }), anyValue),
        location: fc.oneof(
          fc.string({ minLength: 1, maxLength: 30 }).map((s) => `s3://b/${s}`),
          anyValue,
        ),
        format: fc.oneof(fc.constantFrom('object', 'jsonl'), anyValue),
        weights: fc.oneof(
          fc.double({ min: 0.1, max: 10, noNaN: true }),
          fc.array(fc.double(), { maxLength: 6 }),
          anyValue,
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 3 }), async (entries) => {
        await check(counter, () => e.deps.catalog.register('ds', entries as never, 'x'));
      }),
      { numRuns: 1000, seed: 99 },
    );
  });
});
