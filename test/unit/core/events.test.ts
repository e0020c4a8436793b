import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { RunInput } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { toViolations } from '../../../core/validation.ts';
import { fakeDeps } from '../../support/fakes/fake-deps.ts';
import { seedDataset } from '../../support/seed-data.ts';

describe('RunInput', () => {
  it.each([
    [null, 'null'],
    [42, 'a number'],
    [[{ jobId: 'j', mode: 'incremental' }], 'an array'],
    ['{"jobId":"j","mode":"incremental"}', 'a string'],
    [true, 'a boolean'],
  ])('refuses the execution input %j with one rule on the root: it is %s', (input, kind) => {
    const result = RunInput.safeParse(input);
    expect(result.success).toBe(false);
    expect(toViolations(result.error as never)).toEqual([
      { field: '(root)', rule: `must be a JSON object (is ${kind})` },
    ]);
  });

  it('still names each field of an object input, and unknown fields', () => {
    const result = RunInput.safeParse({ jobId: 'j', mode: 'incremental', colour: 'red' });
    expect(toViolations(result.error as never)).toEqual([
      { field: '(root)', rule: 'unknown field(s) colour' },
    ]);
  });
});

describe('planRun with an execution input that is not an object', () => {
  it('throws a ValidationError naming the input, and writes nothing', async () => {
    const deps = fakeDeps();
    await seedDataset(deps, 'ds', 10);
    await createJob(deps, {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 5 },
    });

    const refused = planRun(deps, null, 'run-1');

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toThrow('invalid execution input: (root): must be a JSON object (is null)');
    expect(await deps.runs.getRun('j', 'run-1')).toBeUndefined();
    expect((await deps.jobs.getJob('j'))?.watermark).toBe(1);
    expect((await deps.objects.list(deps.buckets.work, '')).items).toEqual([]);
  });
});
