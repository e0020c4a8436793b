import { describe, expect, it } from 'vitest';
import { fromJobItem } from '../../../core/adapters/inventory-records.ts';
import { ValidationError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { BATCH_WEIGHT, Batching, BatchingPolicy, JobSpec } from '../../../core/model.ts';
import { parse, toViolations } from '../../../core/validation.ts';
import { fakeDeps } from '../../support/fakes/fake-deps.ts';
import { seedDataset } from '../../support/seed-data.ts';

const KiB = 1024;
const GiB = 1024 ** 3;

/** The violations of a batching policy, as `field: rule`. */
function violationsOf(batching: unknown): string[] {
  const result = BatchingPolicy.safeParse(batching);
  return result.success ? [] : toViolations(result.error).map((v) => `${v.field}: ${v.rule}`);
}

describe('BatchingPolicy', () => {
  it('takes a weight target from 1 KiB to 10 GiB, both bounds included', () => {
    expect(BATCH_WEIGHT).toEqual({ min: KiB, max: 10 * GiB });
    for (const target of [KiB, 64 * KiB, 1.5 * KiB, 10 * GiB])
      expect(violationsOf({ by: 'weight', target })).toEqual([]);
  });

  it('refuses a target under 1 KiB, stating the rule once', () => {
    for (const target of [KiB - 1, 10, 0.5, 0, -1])
      expect(violationsOf({ by: 'weight', target })).toEqual(['target: must be >= 1024 bytes (1 KiB)']);
  });

  it('refuses a target over 10 GiB, stating the rule once', () => {
    for (const target of [10 * GiB + 1, 2 ** 53])
      expect(violationsOf({ by: 'weight', target })).toEqual([
        'target: must be <= 10737418240 bytes (10 GiB, the largest ephemeral storage of a worker)',
      ]);
  });

  it('refuses a target that is not a finite number, stating the rule once', () => {
    for (const target of [Number.NaN, Number.POSITIVE_INFINITY, '4096', null])
      expect(violationsOf({ by: 'weight', target })).toEqual(['target: must be a number']);
  });

  it('keeps the bounds of a batch size and of maxItems: 1 to 100,000 items', () => {
    expect(violationsOf({ by: 'count', size: 0 })).toEqual(['size: must be >= 1']);
    expect(violationsOf({ by: 'count', size: 100_001 })).toEqual(['size: must be <= 100000']);
    expect(violationsOf({ by: 'weight', target: KiB, maxItems: 100_001 })).toEqual([
      'maxItems: must be <= 100000',
    ]);
  });
});

describe('JobSpec', () => {
  const spec = (batching: unknown) => ({
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching,
  });

  it('names batching.target once for a target out of bounds', () => {
    const error = (() => {
      try {
        parse(JobSpec, spec({ by: 'weight', target: 10 }), 'job spec');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe(
      'invalid job spec: batching.target: must be >= 1024 bytes (1 KiB)',
    );
  });
});

describe('createJob with a weight target out of bounds', () => {
  it('is refused with a ValidationError before anything is written', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 10);

    const refused = createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'weight', target: 11 * GiB },
    });

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ violations: [{ field: 'batching.target' }] });
    expect(await deps.jobs.getJob('j')).toBeUndefined();
  });
});

describe('Batching, as a job record holds it', () => {
  it('still reads a job created before the weight target had bounds', () => {
    expect(Batching.parse({ by: 'weight', target: 10 })).toEqual({ by: 'weight', target: 10 });
    const stored = {
      jobId: 'old',
      datasetId: 'ds',
      processor: { name: 'noop', version: '1' },
      config: {},
      batching: { by: 'weight', target: 10 },
      maxConcurrency: 10,
      toleratedFailurePercentage: 100,
      leaseSeconds: 900,
      configHash: 'h',
      state: 'ACTIVE',
      watermark: 1,
      firstId: 1,
      createdAt: 't',
      updatedAt: 't',
    };
    expect(fromJobItem(stored).batching).toEqual({ by: 'weight', target: 10 });
  });
});
