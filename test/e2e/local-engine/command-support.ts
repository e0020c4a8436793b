import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { WORK_ROOT_ENV } from '../../../core/adapters/node-command-host.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { defineCommandProcessor } from '../../../core/processors/define-command-processor.ts';
import { collect, seedDataset } from '../../support/core-env.ts';
import { historyOf, type TestLocal, uniqueId, waitForExecution } from './support.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * The work root of this test file's runner: set before the local mode builds its deps, so that the test can
 * see the work folders (and that none is left).
 */
export function useWorkRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'bk-work-root-'));
  process.env[WORK_ROOT_ENV] = root;
  return root;
}

export const workFoldersIn = (root: string): string[] => readdirSync(root);

/** The fixture command (fixtures/command.py) as a processor, asking for the secret or not. */
export const pythonFixture = (name: string, secret: 'file' | 'none' = 'none') =>
  defineCommandProcessor({
    name,
    version: '1',
    configSchema: z.strictObject({
      behave: z.enum(['', 'retry-once', 'kill-once', 'fail-once', 'wait']).default(''),
      state: z.string().default(''),
    }),
    itemSchema: z.object({ n: z.number().int() }),
    command: ['python3', '-B', 'command.py'],
    cwd: FIXTURES,
    secret,
  });

/** A job over a fresh data set of `items` records `{ n }`, batches of `size`. */
export async function commandJob(
  local: TestLocal,
  o: { processor: string; items: number; size: number; config?: Record<string, unknown>; secretArn?: string },
) {
  const { deps } = local.mode;
  const datasetId = uniqueId('ds');
  const jobId = uniqueId('job');
  const at = new Date().toISOString();
  await deps.catalog.createDataset({ datasetId, ...(o.secretArn ? { secretArn: o.secretArn } : {}) }, at);
  await seedDataset(deps, datasetId, o.items, { chunk: o.size });
  await createJob(deps, {
    jobId,
    datasetId,
    processor: { name: o.processor },
    config: o.config ?? {},
    batching: { by: 'count', size: o.size },
  });
  return jobId;
}

/** Start a run and wait for its end: the execution, its history, the job's batches. */
export async function runJob(local: TestLocal, jobId: string, mode = 'incremental') {
  const started = await startJob(local, jobId, mode);
  const out = await waitForExecution(local.sfn, started);
  const events = await historyOf(local.sfn, started);
  const batches = await collect(local.mode.deps.batches.list(jobId, { kind: 'inventory' }));
  const failures = events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error);
  return { out, events, batches, failures };
}

export async function startJob(local: TestLocal, jobId: string, mode = 'incremental'): Promise<string> {
  const { executionArn } = await local.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.mode.state.stateMachineArn,
      input: JSON.stringify({ jobId, mode }),
    }),
  );
  return executionArn as string;
}

/** Every line of every output object of a job, parsed. */
export async function outputsOf(local: TestLocal, jobId: string): Promise<{ id: number; output: unknown }[]> {
  const { deps } = local.mode;
  const rows: { id: number; output: unknown }[] = [];
  for (const b of await collect(deps.batches.list(jobId, { kind: 'inventory' }))) {
    if (!b.outputKey) continue;
    const body = await deps.objects.get(deps.buckets.work, b.outputKey);
    for (const line of Buffer.from(body ?? new Uint8Array())
      .toString('utf8')
      .split('\n'))
      if (line) rows.push(JSON.parse(line));
  }
  return rows.sort((a, b) => a.id - b.id);
}
