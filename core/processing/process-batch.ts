import { jsonLines, outputKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { DatasetNotFoundError, InjectedFaultError, JobDeletingError, LeaseLostError } from '../errors.ts';
import type { ProcessBatchEvent, ProcessBatchOutput } from '../events.ts';
import { publishStaged, stageExceptions } from '../exceptions/exception-staging.ts';
import { effectiveHash } from '../jobs/config-hash.ts';
import { getJob } from '../jobs/jobs.ts';
import type { Batch, BatchScope, Job } from '../model.ts';
import {
  type AcquirePolicy,
  type AcquireResult,
  COMMIT_EXCEPTIONS_MAX,
  type NewException,
} from '../ports.ts';
import type { BatchContext, BatchLog } from '../processors/define-processor.ts';
import {
  datasetOf,
  type EarlyReads,
  earlyReads,
  isFresh,
  knownItems,
  knownJob,
  rememberJob,
} from './batch-inputs.ts';
import {
  dropIfBatchGone,
  heartbeater,
  type Lease,
  phases,
  recordFailure,
  resolveSecret,
  runItems,
} from './batch-steps.ts';
import { loadBatch, type Preflight } from './load-batch.ts';

/** What the caller (a Lambda handler, the local runner) knows of where the work runs. */
export interface WorkerContext {
  /** Unique per invocation, e.g. the Lambda request id. */
  readonly invocationId: string;
  /** Time left before the worker is killed; leases never outlive it by much. */
  readonly remainingMs?: () => number;
  readonly log: BatchLog;
}

export interface ProcessBatchReport extends ProcessBatchOutput {
  /** Set when the lease of a dead worker was taken over. */
  readonly tookOverFrom?: string;
}

/**
 * Process one batch: take the lease, answer the preflight, run the processor, write outputs to a key derived
 * from the range (a retry overwrites), record exceptions and commit, all fenced by the lease's token. An item
 * that carries a cut `ahead` also creates that cut's batches meanwhile, for the Map further on.
 */
export async function processBatch(
  deps: Deps,
  event: ProcessBatchEvent,
  worker: WorkerContext,
): Promise<ProcessBatchReport> {
  const ahead =
    event.batch.ahead === undefined ? undefined : createAhead(deps, event, event.batch.ahead, worker);
  try {
    return await processOne(deps, event, worker);
  } finally {
    await ahead;
  }
}

/**
 * Create a cut of this run further on in the manifest. Never fails the batch: the cut's own workers create it
 * when they find no record, so a failure here costs only their wait.
 */
async function createAhead(deps: Deps, event: ProcessBatchEvent, from: number, worker: WorkerContext) {
  try {
    await deps.inventory.finishCut(event.jobId, from);
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    worker.log.warn('creating the cut ahead failed; its workers will create it', { cut: from, error });
  }
}

async function processOne(
  deps: Deps,
  event: ProcessBatchEvent,
  worker: WorkerContext,
): Promise<ProcessBatchReport> {
  const began = deps.clock.now();
  const { job, got, leaseMs, early, scope, owner } = await takeLease(deps, event, worker);
  if (got.outcome !== 'ACQUIRED') {
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
    return skipped(got.outcome, got.batch, deps.clock.now() - began);
  }
  const lease = {
    ...got,
    jobId: job.jobId,
    scope,
    start: got.batch.start,
    end: got.batch.end,
    owner,
    runId: event.runId,
    configHash: effectiveHash(deps, job),
  };
  const preflight: Preflight = {};
  try {
    // A job marked for deletion while the lease was being taken gets its batch back, with the reason.
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
    await deps.faults('process.afterAcquire');
    const reads = { range: event.batch, early: early?.datasetId === job.datasetId ? early : undefined };
    const report = await runLeased(deps, job, lease, preflight, worker, leaseMs, reads);
    return { ...report, durationMs: deps.clock.now() - began, tookOverFrom: got.tookOverFrom };
  } catch (e) {
    // A simulated crash records nothing, as a real one would not.
    if (!(e instanceof InjectedFaultError)) await recordFailure(deps, lease, preflight, e);
    throw e;
  }
}

/**
 * The job and the lease. A container that read the job for this run less than JOB_FRESH_MS ago works from that
 * record; otherwise, once it has seen the job, it reads it again beside the lease request and the reads that
 * need nothing else, and every decision is made on the record read.
 */
async function takeLease(deps: Deps, event: ProcessBatchEvent, worker: WorkerContext) {
  const scope: BatchScope =
    event.batch.scope === 'sample' ? { kind: 'sample', runId: event.runId } : { kind: 'inventory' };
  const owner = `${event.runId}/${worker.invocationId}`;
  const policy: AcquirePolicy = event.mode === 'backfill' ? 'redo-unless-same-run' : 'skip-succeeded';
  const acquire = (leaseMs: number) =>
    deps.inventory.acquire({
      jobId: event.jobId,
      scope,
      start: event.batch.start,
      owner,
      runId: event.runId,
      leaseMs,
      policy,
      cut: event.batch.scope === 'inventory' ? event.batch.cut : undefined,
    });
  const known = knownJob(deps, event.jobId);
  const readAt = deps.clock.now();
  let job: Job;
  let got: AcquireResult;
  let leaseMs: number;
  let early: EarlyReads | undefined;
  if (known) {
    leaseMs = leaseFor(known.job.leaseSeconds, worker);
    early = earlyReads(deps, known.job.datasetId, event.batch);
    const fresh = isFresh(deps, known, event.runId);
    [job, got] = await Promise.all([fresh ? known.job : getJob(deps, event.jobId), acquire(leaseMs)]);
    if (!fresh) rememberJob(deps, job, event.runId, readAt);
  } else {
    job = await getJob(deps, event.jobId);
    rememberJob(deps, job, event.runId, readAt);
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
    leaseMs = leaseFor(job.leaseSeconds, worker);
    got = await acquire(leaseMs);
  }
  return { job, got, leaseMs, early, scope, owner };
}

/** The manifest's item of the batch and the reads that went out with the lease request. */
interface BatchReads {
  readonly range: ProcessBatchEvent['batch'];
  readonly early: EarlyReads | undefined;
}

/** The data set's secret and the batch's items, the preflight questions answered on the way. */
async function loadInputs(
  deps: Deps,
  job: Job,
  lease: Lease,
  preflight: Preflight,
  { range, early }: BatchReads,
) {
  const dataset = early ? await early.dataset : await datasetOf(deps, job.datasetId);
  if (!dataset) throw new DatasetNotFoundError({ datasetId: job.datasetId });
  const secret = await resolveSecret(deps, dataset, lease, preflight);
  const listed = await knownItems(range, lease.batch, early);
  const items = await loadBatch(deps, dataset, lease.batch, preflight, listed);
  return { secret, items };
}

/**
 * Commit the batch, fenced by the lease: up to COMMIT_EXCEPTIONS_MAX exceptions in the commit's transaction,
 * more staged in S3 before it and written after it (core/exceptions/exception-staging.ts).
 */
async function commitBatch(
  deps: Deps,
  lease: Lease,
  done: {
    lines: number;
    exceptions: NewException[];
    outputKey: string;
    preflight: Preflight;
    laps: Record<string, number>;
  },
): Promise<void> {
  const { exceptions, outputKey } = done;
  const inline = exceptions.length <= COMMIT_EXCEPTIONS_MAX;
  const staged = inline ? undefined : await stageExceptions(deps, lease, exceptions);
  if (staged) await deps.faults('process.afterExceptionsStaged');
  await deps.faults('process.beforeCommit');
  await deps.inventory
    .commit({
      ...lease,
      itemsSucceeded: done.lines,
      itemsExcepted: exceptions.length,
      outputKey,
      diagnostics: { preflight: done.preflight, timings: done.laps },
      exceptions: inline ? exceptions : [],
      staged,
    })
    .catch(async (e: unknown) => {
      if (e instanceof LeaseLostError) await dropIfBatchGone(deps, lease, [outputKey, staged?.key]);
      throw e;
    });
  await deps.faults('process.afterCommit');
  if (staged) await publishStaged(deps, { ...lease, ...staged });
}

function leaseFor(leaseSeconds: number, worker: WorkerContext): number {
  const configured = leaseSeconds * 1000;
  const left = worker.remainingMs?.();
  // A worker killed at its timeout leaves a lease that expires soon after, not a quarter of an hour later.
  return left === undefined ? configured : Math.min(configured, left + 5_000);
}

const skipped = (outcome: 'ALREADY_DONE' | 'BUSY', b: Batch, durationMs: number): ProcessBatchReport => ({
  outcome,
  start: b.start,
  end: b.end,
  itemsSucceeded: 0,
  itemsExcepted: 0,
  durationMs,
});

async function runLeased(
  deps: Deps,
  job: Job,
  lease: Lease,
  preflight: Preflight,
  worker: WorkerContext,
  leaseMs: number,
  reads: BatchReads,
) {
  const processor = deps.processors.get(job.processor.name);
  const clock = phases(deps);
  const { secret, items } = await loadInputs(deps, job, lease, preflight, reads);
  clock.lap('loadMs');
  const ctx: BatchContext<unknown, unknown> = {
    jobId: job.jobId,
    runId: lease.runId,
    batch: { start: lease.start, end: lease.end },
    config: processor.parseConfig(job.config),
    state: undefined,
    secret: async () => secret,
    log: worker.log,
  };
  const state = await processor.beforeBatch(ctx as BatchContext<unknown, undefined>);
  const withState = { ...ctx, state };
  const beat = heartbeater(deps, lease, leaseMs);
  const { lines, exceptions, invalid } = await runItems(processor, items, withState, beat);
  preflight.valid = {
    ok: true,
    detail: `${items.length - invalid} of ${items.length} items parse against the schema`,
  };
  clock.lap('processMs');
  // Every committed batch has its one object, empty when every item was set aside: it replaces whatever an
  // earlier attempt or an earlier life of this range left at the key.
  const outputKey = outputKeyOf(job.jobId, lease.scope, lease);
  await deps.objects.put(deps.buckets.work, outputKey, jsonLines(lines), 'application/x-ndjson');
  await deps.faults('process.afterOutputs');
  clock.lap('writeMs');
  const summary = {
    itemsSucceeded: lines.length,
    itemsExcepted: exceptions.length,
    durationMs: deps.clock.now() - lease.startedAt,
    outputKey,
  };
  await processor.afterBatch(withState, summary);
  await commitBatch(deps, lease, { lines: lines.length, exceptions, outputKey, preflight, laps: clock.laps });
  return {
    outcome: 'SUCCEEDED' as const,
    start: lease.start,
    end: lease.end,
    itemsSucceeded: lines.length,
    itemsExcepted: exceptions.length,
  };
}
