import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HistoryEvent, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flavorFor, type Routing } from '../../../core/contracts/flavors.ts';
import { linesOf, manifestKeyOf } from '../../../core/contracts/s3-keys.ts';
import type { ManifestItem } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { flakyOnceOnDisk, wherePid } from './fixtures/container-processors.ts';
import { entered, historyOf, startTestLocal, type TestLocal, uniqueId, waitForExecution } from './support.ts';

const MODULE = fileURLToPath(new URL('./fixtures/container-processors.ts', import.meta.url));

let local: TestLocal;
let markers: string;

beforeAll(async () => {
  markers = mkdtempSync(join(tmpdir(), 'bk-container-markers-'));
  local = await startTestLocal([wherePid, flakyOnceOnDisk], { containerProcessorsModule: MODULE });
});

afterAll(async () => {
  await local?.stop();
  if (markers) rmSync(markers, { recursive: true, force: true });
});

/**
 * Plan the run as the Plan state would, then give each manifest item the flavor the job's routing chooses for
 * the batch's weight (flavorFor): the planner does not write `flavor` yet. The execution's Plan state then finds
 * this run planned and hands the Map the same manifest.
 */
async function planRouted(jobId: string, runId: string, routing: Routing): Promise<void> {
  const { deps } = local.mode;
  await planRun(deps, { jobId, mode: 'incremental' }, runId);
  const key = manifestKeyOf(jobId, runId);
  const manifest = JSON.parse(
    Buffer.from((await deps.objects.get(deps.buckets.work, key)) ?? []).toString(),
  ) as ManifestItem[];
  const routed = await Promise.all(
    manifest.map(async (item) => {
      const batch = await deps.batches.getBatch(jobId, { kind: 'inventory' }, item.start);
      const flavor = flavorFor(routing, batch?.weight ?? 0);
      return flavor ? { ...item, flavor } : item;
    }),
  );
  await deps.objects.put(deps.buckets.work, key, JSON.stringify(routed), 'application/json');
}

async function runRouted(processor: string, config: Record<string, unknown>, routing: Routing) {
  const { deps, state } = local.mode;
  const datasetId = uniqueId('ds');
  const jobId = uniqueId('job');
  const runId = uniqueId('run');
  // 25 items in batches of 10: two of weight 10, one of weight 5.
  await seedDataset(deps, datasetId, 25, { chunk: 25 });
  await createJob(deps, {
    jobId,
    datasetId,
    processor: { name: processor },
    config,
    batching: { by: 'count', size: 10 },
  });
  await planRouted(jobId, runId, routing);
  const input = JSON.stringify({ jobId, mode: 'incremental' });
  const { executionArn } = await local.sfn.send(
    new StartExecutionCommand({ stateMachineArn: state.stateMachineArn, name: runId, input }),
  );
  const out = await waitForExecution(local.sfn, executionArn as string);
  const events = await historyOf(local.sfn, executionArn as string);
  const batches = await collect(deps.batches.list(jobId, { kind: 'inventory' }));
  return { jobId, out, events, batches };
}

const scheduled = (events: readonly HistoryEvent[], resourceType: string) =>
  events.filter(
    (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === resourceType,
  );

/** The process ids a batch's outputs record (`{"id", "output"}` lines). */
async function pidsOf(outputKey: string | undefined): Promise<number[]> {
  const { deps } = local.mode;
  const body = await deps.objects.get(deps.buckets.work, outputKey ?? 'none');
  return linesOf(body ?? new Uint8Array()).map(
    (line) => (JSON.parse(line) as { output: { pid: number } }).output.pid,
  );
}

describe('container flavors in the local mode', () => {
  it('runs the heavy batches of a job routed by weight as container tasks and the light one on Lambda; all commit', async () => {
    const { out, events, batches } = await runRouted(
      'test-where-pid',
      {},
      { flavor: 'fargate-small', minWeight: 10 },
    );

    expect(out.status).toBe('SUCCEEDED');
    const ecs = scheduled(events, 'ecs').map((e) =>
      JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}'),
    );
    expect(ecs.map((p) => p.TaskDefinition).sort()).toEqual([
      'batchkeeper-local-fargate-small',
      'batchkeeper-local-fargate-small',
    ]);
    const states = entered(events, 'TaskStateEntered');
    expect(states.filter((n) => n === 'ProcessBatchOnContainer')).toHaveLength(2);
    expect(states.filter((n) => n === 'ProcessBatch')).toHaveLength(1);
    expect(batches.map((b) => [b.start, b.end, b.weight, b.status])).toEqual([
      [1, 10, 10, 'SUCCEEDED'],
      [11, 20, 10, 'SUCCEEDED'],
      [21, 25, 5, 'SUCCEEDED'],
    ]);
    // The heavy batches were processed in another process (the container), the light one in this one.
    const pids = await Promise.all(batches.map((b) => pidsOf(b.outputKey)));
    expect(pids.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pids[0]?.every((pid) => pid !== process.pid)).toBe(true);
    expect(pids[1]?.every((pid) => pid !== process.pid)).toBe(true);
    expect(pids[2]?.every((pid) => pid === process.pid)).toBe(true);
  });

  it('retries a container task that exits non-zero as a RetryableError of the Lambda is retried, then commits', async () => {
    const { jobId, out, events, batches } = await runRouted(
      'test-flaky-once-on-disk',
      { markers },
      { flavor: 'fargate-medium', minWeight: 0 },
    );

    expect(out.status).toBe('SUCCEEDED');
    const failures = events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails);
    expect(failures.map((f) => f?.error)).toEqual([
      'States.TaskFailed',
      'States.TaskFailed',
      'States.TaskFailed',
    ]);
    // The cause is the stopped task's description: its container exited 2 (retry).
    expect(failures.map((f) => JSON.parse(f?.cause ?? '{}').Containers[0].ExitCode)).toEqual([2, 2, 2]);
    expect(scheduled(events, 'ecs')).toHaveLength(6);
    expect(batches.map((b) => [b.status, b.attempt])).toEqual([
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
    ]);
    const attempts = await collect(local.mode.deps.attempts.list(jobId, { kind: 'inventory' }));
    expect(attempts.filter((a) => a.error).map((a) => a.error?.name)).toEqual([
      'RetryableError',
      'RetryableError',
      'RetryableError',
    ]);
  });
});
