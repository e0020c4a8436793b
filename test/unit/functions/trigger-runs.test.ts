import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../../core/contracts/bus.ts';
import { ValidationError } from '../../../core/errors.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { useDeps } from '../../../functions/support/runtime.ts';
import { handler } from '../../../functions/trigger-runs.ts';
import { fakeDeps } from '../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../support/seed-data.ts';

const context = {
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
  functionName: 'trigger-runs',
};

describe('the trigger-runs handler', () => {
  afterAll(() => useDeps(undefined));

  it('starts a triggered consumer from a bus event and from the reconcile, and refuses anything else', async () => {
    const started: string[] = [];
    const starter = {
      async start(name: string) {
        started.push(name);
        return 'started' as const;
      },
    };
    const deps = { ...fakeDeps(), starter };
    useDeps(deps);
    await seedDataset(deps, 'ds', 20);
    const spec = { processor: { name: 'noop' }, batching: { by: 'count', size: 10 } };
    await createJob(deps, { ...spec, jobId: 'a', datasetId: 'ds' });
    await createJob(deps, {
      ...spec,
      jobId: 'b',
      datasetId: 'a.outputs',
      dependsOn: [{ jobId: 'a', trigger: true }],
    });
    const plan = await planRun(deps, { jobId: 'a', mode: 'incremental' }, 'r1');
    for (const batch of await manifestOf(deps, plan.manifestKey))
      await processBatch(deps, { jobId: 'a', runId: 'r1', mode: 'incremental', batch }, quietWorker('w'));

    const busEvent = {
      source: EVENT_SOURCE,
      'detail-type': DETAIL_TYPES.BatchCommitted,
      detail: {
        eventId: 'a/B#1#1',
        type: 'BatchCommitted',
        jobId: 'a',
        runId: 'r1',
        at: new Date(0).toISOString(),
        detail: { scope: 'inventory', start: 1, end: 10 },
      },
    };
    const out = (await handler(busEvent, context as never)) as {
      outcomes: { jobId: string; outcome: string }[];
    };
    expect(out.outcomes.map((o) => [o.jobId, o.outcome])).toEqual([['b', 'started']]);
    const again = (await handler({ reconcile: true }, context as never)) as typeof out;
    expect(again.outcomes.map((o) => o.jobId)).toEqual(['b']);
    expect(started.length).toBeGreaterThanOrEqual(1);

    await expect(handler({ source: 'elsewhere' }, context as never)).rejects.toBeInstanceOf(ValidationError);
  });
});
