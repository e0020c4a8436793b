import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { CONTAINER } from '../../../core/contracts/flavors.ts';
import { RetryableError } from '../../../core/errors.ts';
import type { ManifestItem } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import { runContainerBatch } from '../../../functions/process-batch-container.ts';
import { logger, useDeps } from '../../../functions/support/runtime.ts';
import { type FakeDeps, fakeDeps } from '../../support/fakes/fake-deps.ts';
import { collect, seedDataset } from '../../support/seed-data.ts';

// Metrics go to CloudWatch as log lines on AWS; here they would be noise on stdout (set before the imports).
const metricsWereDisabled = vi.hoisted(() => {
  const before = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return before;
});
afterAll(() => {
  if (metricsWereDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = metricsWereDisabled;
});

/** What the test processor does with the batch, and the lease it saw while it ran. */
let behaviour: 'commit' | 'retry' | 'explode' = 'commit';
let leaseMsSeen: number | undefined;
let deps: FakeDeps;

class ExplodedError extends Error {
  override name = 'ExplodedError';
}

const containerTest = defineProcessor({
  name: 'test-container',
  version: '1',
  configSchema: z.strictObject({}),
  itemSchema: z.unknown(),
  beforeBatch: async (ctx) => {
    const batch = await deps.batches.getBatch(ctx.jobId, { kind: 'inventory' }, ctx.batch.start);
    leaseMsSeen = (batch?.leaseExpiresAt ?? 0) - deps.clock.now();
    if (behaviour === 'retry') throw new RetryableError('upstream throttled');
    if (behaviour === 'explode') throw new ExplodedError('the processor exploded');
  },
  processItem: () => ({ ok: true }),
});

async function eventOfFirstBatch(): Promise<string> {
  await seedDataset(deps, 'ds', 10, { chunk: 10 });
  // The job allows a lease of a day: the flavor's timeout is what bounds it.
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'test-container' },
    batching: { by: 'count', size: 10 },
    leaseSeconds: 86_400,
  });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  const manifest = JSON.parse(
    Buffer.from((await deps.objects.get(plan.manifestBucket, plan.manifestKey)) ?? []).toString(),
  ) as ManifestItem[];
  return JSON.stringify({ jobId: 'j', runId: 'run-1', mode: 'incremental', batch: manifest[0] });
}

const env = (event: string | undefined, flavor = 'fargate-small') => ({
  ...(event === undefined ? {} : { [CONTAINER.env.event]: event }),
  [CONTAINER.env.flavor]: flavor,
});

// The entrypoint logs each failure it exits with: these tests fail batches on purpose.
const level = logger.getLevelName();
beforeAll(() => logger.setLogLevel('SILENT'));
afterAll(() => logger.setLogLevel(level));

beforeEach(() => {
  behaviour = 'commit';
  leaseMsSeen = undefined;
  deps = fakeDeps({ processors: createRegistry([...builtinProcessors, containerTest]) });
  useDeps(deps);
});

afterEach(() => useDeps(undefined));

describe('the container entrypoint', () => {
  it('commits the batch it is handed and exits 0', async () => {
    const code = await runContainerBatch(env(await eventOfFirstBatch()));

    expect(code).toBe(CONTAINER.exitCodes.done);
    const [batch] = await collect(deps.batches.list('j', { kind: 'inventory' }));
    expect(batch?.status).toBe('SUCCEEDED');
  });

  it('takes a lease no longer than what is left of the flavor timeout', async () => {
    await runContainerBatch(env(await eventOfFirstBatch()));

    // The small flavor stops the batch after an hour, and its lease expires 5 s later.
    expect(leaseMsSeen).toBeGreaterThan(3_500_000);
    expect(leaseMsSeen).toBeLessThanOrEqual(3_605_000);
  });

  it('exits 2 when the processor asks for a retry, with the attempt recorded as RETRY', async () => {
    behaviour = 'retry';
    const code = await runContainerBatch(env(await eventOfFirstBatch()));

    expect(code).toBe(CONTAINER.exitCodes.retry);
    const attempts = await collect(deps.attempts.list('j', { kind: 'inventory' }));
    expect(attempts.map((a) => [a.outcome, a.error?.name])).toEqual([['RETRY', 'RetryableError']]);
  });

  it('exits 1 on any other failure, with the error recorded in the attempt', async () => {
    behaviour = 'explode';
    const code = await runContainerBatch(env(await eventOfFirstBatch()));

    expect(code).toBe(CONTAINER.exitCodes.failed);
    const attempts = await collect(deps.attempts.list('j', { kind: 'inventory' }));
    expect(attempts.map((a) => [a.outcome, a.error?.name])).toEqual([['FAILED', 'ExplodedError']]);
  });

  it('exits 1 without writing anything when its environment is missing, not JSON, or names no flavor', async () => {
    const event = await eventOfFirstBatch();
    const before = await collect(deps.batches.list('j', { kind: 'inventory' }));

    expect(await runContainerBatch(env(undefined))).toBe(CONTAINER.exitCodes.failed);
    expect(await runContainerBatch(env('{not json'))).toBe(CONTAINER.exitCodes.failed);
    expect(await runContainerBatch(env(JSON.stringify({ jobId: 'j' })))).toBe(CONTAINER.exitCodes.failed);
    expect(await runContainerBatch(env(event, 'large'))).toBe(CONTAINER.exitCodes.failed);

    expect(await collect(deps.batches.list('j', { kind: 'inventory' }))).toEqual(before);
    expect(await collect(deps.attempts.list('j', { kind: 'inventory' }))).toEqual([]);
  });
});
