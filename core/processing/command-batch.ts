import { resolve } from 'node:path';
import type { Deps } from '../deps.ts';
import { CommandFailedError, RetryableError, ValidationError } from '../errors.ts';
import type { Job } from '../model.ts';
import type { CommandExit, CommandHost, NewException } from '../ports/index.ts';
import {
  type CommandSpec,
  DESCRIPTOR_ENV,
  RETRY_EXIT_CODE,
  WORK_DIR_ENV,
} from '../processors/command-spec.ts';
import type { AnyProcessor, BatchContext, BatchLog } from '../processors/define-processor.ts';
import { batchContextOf, type Lease } from './batch-steps.ts';
import { type BatchDescriptor, inputLine, readResults, WORK_FILES } from './command-files.ts';
import { superviseCommand } from './command-supervisor.ts';
import type { Processed } from './finish-batch.ts';
import type { LoadedItem } from './load-batch.ts';

/** How much of the end of a failed command's stderr its attempt keeps. */
export const STDERR_TAIL_BYTES = 3 * 1024;
/** A command is killed this long before its worker would be, so that the attempt still records its failure. */
export const WORKER_MARGIN_MS = 15_000;

/** What the batch runner is given: the batch's items and the data set's secret, loaded by ProcessBatch. */
export interface CommandBatchInputs {
  readonly items: readonly LoadedItem[];
  readonly secret?: string;
}

/** Where a command runs from, and how long it may. */
export interface CommandWorker {
  readonly remainingMs?: () => number;
  readonly log: BatchLog;
}

/**
 * Run a command processor over one batch under its lease: stage the items (and the secret, when asked) in a
 * fresh work folder with the descriptor, run the command while heartbeats extend the lease, map its exit code,
 * and read its results strictly. The work folder is removed on every path. What it returns is committed by
 * finishBatch exactly as an in-process processor's results are.
 */
export async function runCommandBatch(
  deps: Deps,
  job: Job,
  lease: Lease,
  inputs: CommandBatchInputs,
  worker: CommandWorker,
  leaseMs: number,
): Promise<Processed> {
  const host = hostOf(deps);
  const processor = deps.processors.get(job.processor.name);
  const spec = processor.command as CommandSpec;
  const ctx = batchContextOf(processor, job, lease, inputs.secret, worker.log);
  const { staged, invalid } = partition(processor, inputs.items);
  const dir = await host.createWorkDir();
  try {
    const secret = spec.secret === 'file' ? inputs.secret : undefined;
    const descriptor = await stage(host, dir, { job, lease, processor, ctx, staged, secret });
    const exit = await runSupervised(deps, host, lease, leaseMs, spec, descriptor, worker);
    checkExit(processor.name, exit, inputs.secret);
    const results = readResults(
      processor.name,
      staged.map((s) => s.id),
      await host.readFile(descriptor.outputs),
      await host.readFile(descriptor.exceptions),
    );
    const exceptions = [...invalid, ...results.exceptions].sort((a, b) => a.itemId - b.itemId);
    const valid = {
      ok: true,
      detail: `${staged.length} of ${inputs.items.length} items parse against the schema`,
    };
    return { processor, withState: ctx, lines: results.lines, exceptions, valid };
  } finally {
    await host.removeWorkDir(dir);
  }
}

function hostOf(deps: Deps): CommandHost {
  if (deps.commands) return deps.commands;
  throw new ValidationError([{ field: 'commands', rule: 'must be given to run a command processor' }], {
    what: 'dependencies',
  });
}

/** Items that pass the processor's item schema are staged; the others are set aside, as in-process. */
function partition(processor: AnyProcessor, items: readonly LoadedItem[]) {
  const staged: { id: number; item: unknown }[] = [];
  const invalid: NewException[] = [];
  for (const { id, raw } of items) {
    const parsed = processor.parseItem(raw);
    if (parsed.ok) staged.push({ id, item: parsed.item });
    else invalid.push({ itemId: id, kind: 'invalid-item', details: { violations: parsed.violations } });
  }
  return { staged, invalid };
}

/** Write items.jsonl, the secret's file (0600) when there is one to give, and batch.json. */
async function stage(
  host: CommandHost,
  dir: string,
  o: {
    job: Job;
    lease: Lease;
    processor: AnyProcessor;
    ctx: BatchContext<unknown, unknown>;
    staged: readonly { id: number; item: unknown }[];
    secret: string | undefined;
  },
): Promise<BatchDescriptor> {
  const at = (name: string) => `${dir}/${name}`;
  const lines = o.staged.map((s) => `${inputLine(s.id, s.item)}\n`).join('');
  await host.writeFile(at(WORK_FILES.inputs), lines);
  if (o.secret !== undefined) await host.writeFile(at(WORK_FILES.secret), o.secret, 0o600);
  const descriptor: BatchDescriptor = {
    version: 1,
    jobId: o.job.jobId,
    runId: o.lease.runId,
    processor: { name: o.processor.name, version: o.processor.version },
    batch: { scope: o.lease.scope.kind, start: o.lease.start, end: o.lease.end, items: o.staged.length },
    config: o.ctx.config,
    configHash: o.lease.configHash,
    attempt: o.lease.attempt,
    token: o.lease.token,
    workDir: dir,
    inputs: at(WORK_FILES.inputs),
    outputs: at(WORK_FILES.outputs),
    exceptions: at(WORK_FILES.exceptions),
    secret: o.secret === undefined ? null : at(WORK_FILES.secret),
  };
  await host.writeFile(at(WORK_FILES.descriptor), `${JSON.stringify(descriptor, null, 2)}\n`);
  return descriptor;
}

async function runSupervised(
  deps: Deps,
  host: CommandHost,
  lease: Lease,
  leaseMs: number,
  spec: CommandSpec,
  descriptor: BatchDescriptor,
  worker: CommandWorker,
): Promise<CommandExit> {
  const left = worker.remainingMs?.();
  const timeoutMs =
    left === undefined ? spec.timeoutMs : Math.max(1_000, Math.min(spec.timeoutMs, left - WORKER_MARGIN_MS));
  const began = deps.clock.now();
  const running = host.start({
    argv: spec.argv,
    cwd: spec.cwd === undefined ? descriptor.workDir : resolve(spec.cwd),
    env: {
      ...spec.env,
      [DESCRIPTOR_ENV]: `${descriptor.workDir}/${WORK_FILES.descriptor}`,
      [WORK_DIR_ENV]: descriptor.workDir,
    },
    stderrTailBytes: STDERR_TAIL_BYTES,
  });
  const exit = await superviseCommand(deps, lease, running, { leaseMs, timeoutMs });
  worker.log.info('command ended', {
    exitCode: exit.exitCode,
    signal: exit.signal,
    durationMs: deps.clock.now() - began,
  });
  if (exit.timedOut)
    throw new CommandFailedError({
      processor: descriptor.processor.name,
      exitCode: exit.exitCode,
      signal: exit.signal,
      reason: `was killed at its timeout of ${timeoutMs} ms`,
      stderrTail: exit.stderrTail,
    });
  return exit;
}

/** 0 goes on to the results; 2 asks for a retry; anything else, a signal or no start at all fails the attempt. */
function checkExit(processor: string, exit: CommandExit, secret: string | undefined): void {
  if (exit.exitCode === 0) return;
  const stderrTail = redact(exit.stderrTail, secret);
  const { exitCode, signal } = exit;
  if (exitCode === RETRY_EXIT_CODE) {
    const tail = stderrTail ? `; stderr ends with:\n${stderrTail}` : '';
    throw new RetryableError(`command of processor ${processor} asked for a retry (exit code 2)${tail}`, {
      context: { processor, exitCode, stderrTail },
    });
  }
  const reason =
    exit.spawnError !== undefined
      ? `could not be started: ${redact(exit.spawnError, secret)}`
      : signal
        ? `was ended by signal ${signal}`
        : `exited with code ${exitCode}`;
  throw new CommandFailedError({ processor, exitCode, signal, reason, stderrTail });
}

/** The secret's value never leaves in an error, whatever the command printed. */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}
