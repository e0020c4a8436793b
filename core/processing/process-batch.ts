import { sourceOfDataset } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { DatasetNotFoundError, InjectedFaultError, JobDeletingError } from '../errors.ts';
import type { ProcessBatchEvent, ProcessBatchOutput } from '../events.ts';
import { effectiveHash } from '../jobs/config-hash.ts';
import { GatedSource, producersOf } from '../jobs/dependencies.ts';
import { getJob } from '../jobs/jobs.ts';
import type { Batch, BatchScope, Job } from '../model.ts';
import type { AcquirePolicy } from '../ports/index.ts';
import type { BatchContext, BatchLog } from '../processors/define-processor.ts';
import { type Acquired, acquireBatch } from './acquire-batch.ts';
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
  batchContextOf,
  heartbeater,
  type Lease,
  phases,
  recordFailure,
  resolveSecret,
  runItems,
} from './batch-steps.ts';
import { runCommandBatch } from './command-batch.ts';
import { finishBatch, type Processed } from './finish-batch.ts';
import { type LoadedBatch, loadBatch } from './load-batch.ts';
import { answersOf, type Preflight } from './preflight.ts';
import { lockProducers, releaseProducers } from './producer-locks.ts';

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
    await deps.cuts.finishCut(event.jobId, from);
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
  // The preflight's answers as they come in; a failure records those given before it.
  let answers: Preflight = {};
  try {
    // A job marked for deletion while the lease was being taken gets its batch back, with the reason.
    if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
    await deps.faults('process.afterAcquire');
    const reads = { range: event.batch, early: early?.datasetId === job.datasetId ? early : undefined };
    const clock = phases(deps);
    const inputs = await loadInputs(deps, job, lease, reads);
    answers = inputs.answers;
    // A consumer holds its producers' batches (the READY lock) until its commit is in.
    const locks = await lockProducers(deps, lease, inputs.producers, deps.clock.now() + leaseMs, answers);
    try {
      clock.lap('loadMs');
      const done = await runProcessor(deps, job, lease, inputs, worker, leaseMs);
      answers = { ...answers, valid: done.valid };
      clock.lap('processMs');
      const report = await finishBatch(deps, job, lease, done, answers, clock, inputs.producers);
      return { ...report, durationMs: deps.clock.now() - began, tookOverFrom: got.tookOverFrom };
    } finally {
      await releaseProducers(deps, locks);
    }
  } catch (e) {
    // A simulated crash records nothing, as a real one would not.
    if (!(e instanceof InjectedFaultError)) await recordFailure(deps, lease, answersOf(e, answers), e);
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
  const cut = event.batch.scope === 'inventory' ? event.batch.cut : undefined;
  const acquire = (leaseMs: number) =>
    acquireBatch(
      deps,
      { jobId: event.jobId, scope, start: event.batch.start, owner, runId: event.runId, leaseMs, policy },
      cut,
    );
  const known = knownJob(deps, event.jobId);
  const readAt = deps.clock.now();
  let job: Job;
  let got: Acquired;
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

/** What a batch works from: the data set's secret and the batch's items. */
interface BatchInputs extends LoadedBatch {
  readonly secret?: string;
}

/** The data set's secret and the batch's items, with the preflight's answers to safe, ready, where and right. */
async function loadInputs(
  deps: Deps,
  job: Job,
  lease: Lease,
  { range, early }: BatchReads,
): Promise<BatchInputs> {
  const dataset = early ? await early.dataset : await datasetOf(deps, job.datasetId);
  if (!dataset) throw new DatasetNotFoundError({ datasetId: job.datasetId });
  const { secret, safe } = await resolveSecret(deps, dataset, lease);
  // A job with producers reads its items through their gate, never from what the manifest or the early read say.
  const producers = producersOf(job).map((p) => p.jobId);
  const source =
    producers.length > 0 ? new GatedSource(deps, sourceOfDataset(deps, dataset), producers) : undefined;
  const listed = source ? undefined : await knownItems(range, lease.batch, early);
  const loaded = await loadBatch(deps, dataset, lease.batch, { answered: { safe }, listed, source });
  return { ...loaded, secret };
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

/** Run the processor over the batch's items under the lease, heartbeating as it goes. */
async function runProcessor(
  deps: Deps,
  job: Job,
  lease: Lease,
  inputs: BatchInputs,
  worker: WorkerContext,
  leaseMs: number,
): Promise<Processed> {
  const processor = deps.processors.get(job.processor.name);
  if (processor.command) return runCommandBatch(deps, job, lease, inputs, worker, leaseMs);
  const ctx = batchContextOf(processor, job, lease, inputs.secret, worker.log);
  const state = await processor.beforeBatch(ctx as BatchContext<unknown, undefined>);
  const withState = { ...ctx, state };
  const beat = heartbeater(deps, lease, leaseMs);
  const { lines, exceptions, valid } = await runItems(processor, inputs.items, withState, beat);
  return { processor, withState, lines, exceptions, valid };
}
