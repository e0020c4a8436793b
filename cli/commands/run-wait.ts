import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { BatchesFailedError, BatchkeeperError } from '../../core/errors.ts';
import type { RunInput } from '../../core/events.ts';
import type { Run } from '../../core/model.ts';
import type { Progress } from '../output.ts';
import type { Target } from '../target.ts';

/** A run that was started: the execution's name is the run id. */
export interface StartedRun {
  readonly jobId: string;
  readonly runId: string;
  readonly executionArn: string;
  readonly input: RunInput;
  readonly startDate: string;
}

/** How a waited-for run ended: the execution's status and the run record's counts. */
export interface RunOutcome extends StartedRun {
  /** The execution's status: SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  readonly status: string;
  /** The run record's status (SUCCEEDED, PARTIAL, FAILED), absent when Plan never wrote one. */
  readonly runStatus?: Run['status'];
  readonly batches: { planned: number; succeeded: number; failed: number; notDone: number };
  readonly items: { succeeded: number; excepted: number };
  readonly durationMs: number;
  readonly error?: { name: string; message: string };
}

/** The execution ended other than SUCCEEDED without failed batches to blame (a bad input, a timeout, an abort). */
export class ExecutionFailedError extends BatchkeeperError {
  constructor(ctx: { executionArn: string; status: string; error?: string; cause?: string }) {
    super(
      `execution ${ctx.status}${ctx.error ? `: ${ctx.error}` : ''}${ctx.cause ? `: ${ctx.cause}` : ''}`,
      ctx,
    );
  }
}

/** `incremental-20260101T120000123Z-1a2b`: sorts by time within a mode and never repeats. */
export function newRunId(mode: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${mode}-${stamp}-${randomBytes(2).toString('hex')}`;
}

/**
 * Start a run through Step Functions' StartExecution, on AWS or on the local endpoint alike.
 * @example const started = await startRun(target, { jobId: 'addr', mode: 'incremental' });
 */
export async function startRun(
  target: Target,
  input: RunInput,
  runId = newRunId(input.mode),
): Promise<StartedRun> {
  const out = await target.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      name: runId,
      input: JSON.stringify(input),
    }),
  );
  const startDate = (out.startDate ?? new Date()).toISOString();
  return { jobId: input.jobId, runId, executionArn: out.executionArn as string, input, startDate };
}

export interface WaitOptions {
  readonly onProgress?: (p: Progress) => void;
  /** @default 500 */
  readonly intervalMs?: number;
}

/**
 * Poll DescribeExecution until the execution ends, reporting batches done and failed from the run's attempts;
 * then read the run record that Finalize wrote.
 */
export async function waitForRun(
  target: Target,
  run: StartedRun,
  options: WaitOptions = {},
): Promise<RunOutcome> {
  const began = Date.now();
  for (;;) {
    const d = await target.clients.sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    options.onProgress?.(await progressOf(target, run, Date.now() - began));
    if (d.status !== 'RUNNING') return outcomeOf(target, run, d, Date.now() - began);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}

/** Batches whose last attempt succeeded, and those whose last attempt failed for good (not a retry). */
export async function progressOf(target: Target, run: StartedRun, elapsedMs: number): Promise<Progress> {
  const { runs, attempts } = target.deps;
  const record = await runs.getRun(run.jobId, run.runId);
  const last = new Map<string, string>();
  for await (const a of attempts.runAttempts(run.jobId, run.runId)) {
    const key = `${a.scope.kind}#${a.start}`;
    if (last.get(key) !== 'SUCCEEDED') last.set(key, a.outcome);
  }
  const outcomes = [...last.values()];
  return {
    planned: record?.batchesPlanned,
    succeeded: outcomes.filter((o) => o === 'SUCCEEDED').length,
    failed: outcomes.filter((o) => o === 'FAILED' || o === 'LEASE_EXPIRED').length,
    elapsedMs,
  };
}

async function outcomeOf(
  target: Target,
  run: StartedRun,
  d: DescribeExecutionCommandOutput,
  elapsedMs: number,
): Promise<RunOutcome> {
  const record = await target.deps.runs.getRun(run.jobId, run.runId);
  const s = record?.stats;
  const duration = d.startDate && d.stopDate ? d.stopDate.getTime() - d.startDate.getTime() : elapsedMs;
  const failed = s?.batchesFailed ?? 0;
  let error: Error | undefined;
  if (d.status !== 'SUCCEEDED') {
    error =
      d.error === 'BatchesFailedError'
        ? new BatchesFailedError({ jobId: run.jobId, runId: run.runId, failed })
        : new ExecutionFailedError({
            executionArn: run.executionArn,
            status: d.status ?? 'UNKNOWN',
            error: d.error,
            cause: d.cause,
          });
  }
  return {
    ...run,
    status: d.status ?? 'UNKNOWN',
    runStatus: record?.status,
    batches: {
      planned: record?.batchesPlanned ?? 0,
      succeeded: s?.batchesSucceeded ?? 0,
      failed,
      notDone: s?.batchesNotDone ?? 0,
    },
    items: { succeeded: s?.itemsSucceeded ?? 0, excepted: s?.itemsExcepted ?? 0 },
    durationMs: duration,
    error: error ? { name: error.name, message: error.message } : undefined,
  };
}

/** The error a failed outcome stands for, so that the CLI exits 1 naming it. */
export function outcomeError(o: RunOutcome): Error | undefined {
  if (!o.error) return undefined;
  const e = new Error(o.error.message);
  e.name = o.error.name;
  return e;
}
