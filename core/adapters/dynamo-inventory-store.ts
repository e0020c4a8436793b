import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Attempt, Batch, BatchScope, Job, Run } from '../model.ts';
import {
  type AcquireResult,
  type Clock,
  type CommitInput,
  type ExceptionPublish,
  type FailInput,
  type InventoryStore,
  type LeaseFilter,
  type NewBatch,
  type NewCut,
  type OutputMove,
  type Page,
  type PageRequest,
  type SplitRequest,
  systemClock,
} from '../ports.ts';
import * as acquireRecords from './dynamo-acquire.ts';
import * as attemptRecords from './dynamo-attempt-records.ts';
import * as batchRecords from './dynamo-batch-records.ts';
import * as cutRecords from './dynamo-cut-records.ts';
import * as jobRecords from './dynamo-job-records.ts';
import * as leaseRecords from './dynamo-lease-records.ts';
import * as publishRecords from './dynamo-publish-records.ts';
import * as splitRecords from './dynamo-split-records.ts';
import type { InventoryCtx } from './dynamo-support.ts';

export interface DynamoInventoryStoreProps {
  readonly doc: DynamoDBDocumentClient;
  /** The inventory table: jobs, batches, attempts, runs. */
  readonly table: string;
  /** The exceptions table: a commit writes its exceptions in the same transaction. */
  readonly exceptionsTable: string;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * The InventoryStore on DynamoDB: every operation is one conditional request (or one transaction) whose
 * condition is the invariant it protects. See core/contracts/tables.ts for the layout.
 * @example const store = new DynamoInventoryStore({ doc, table: names.inventory, exceptionsTable: names.exceptions });
 */
export class DynamoInventoryStore implements InventoryStore {
  private readonly ctx: InventoryCtx;

  constructor(props: DynamoInventoryStoreProps) {
    this.ctx = {
      doc: props.doc,
      table: props.table,
      exceptionsTable: props.exceptionsTable,
      clock: props.clock ?? systemClock,
    };
  }

  putJob(job: Job) {
    return jobRecords.putJob(this.ctx, job);
  }
  getJob(jobId: string) {
    return jobRecords.getJob(this.ctx, jobId);
  }
  listJobs(page?: PageRequest): Promise<Page<Job>> {
    return jobRecords.listJobs(this.ctx, page);
  }
  updateJobConfig(
    jobId: string,
    change: { config: Record<string, unknown>; configHash: string; processorVersion: string },
    at: string,
  ) {
    return jobRecords.updateJobConfig(this.ctx, jobId, change, at);
  }
  markJobDeleting(jobId: string, at: string) {
    return jobRecords.markJobDeleting(this.ctx, jobId, at);
  }
  cutNew(cut: NewCut) {
    return cutRecords.cutNew(this.ctx, cut);
  }
  createCut(cut: NewCut) {
    return cutRecords.createCut(this.ctx, cut);
  }
  finishCut(jobId: string, from: number) {
    return cutRecords.finishCut(this.ctx, jobId, from);
  }
  pendingCuts(jobId: string) {
    return cutRecords.pendingCuts(this.ctx, jobId);
  }
  putSampleBatches(jobId: string, runId: string, batches: readonly NewBatch[], at: string) {
    return batchRecords.putSampleBatches(this.ctx, jobId, runId, batches, at);
  }
  reserveExisting(
    jobId: string,
    start: number,
    runId: string,
    reservedUntil: number,
    now: number,
    staleRuns: readonly string[],
  ) {
    return batchRecords.reserveExisting(this.ctx, jobId, start, runId, reservedUntil, now, staleRuns);
  }
  splitBatch(split: SplitRequest) {
    return splitRecords.splitBatch(this.ctx, split);
  }
  pendingMoves(jobId: string) {
    return splitRecords.pendingMoves(this.ctx, jobId);
  }
  recordMovedOutputs(move: OutputMove, outputs: readonly { outputKey: string; itemsSucceeded: number }[]) {
    return splitRecords.recordMovedOutputs(this.ctx, move, outputs);
  }
  finishMove(move: OutputMove) {
    return splitRecords.finishMove(this.ctx, move);
  }
  findLiveLease(jobId: string) {
    return batchRecords.findLiveLease(this.ctx, jobId);
  }
  getBatch(jobId: string, scope: BatchScope, start: number) {
    return batchRecords.getBatch(this.ctx, jobId, scope, start);
  }
  batches(jobId: string, scope: BatchScope, from?: number, to?: number): AsyncIterable<Batch> {
    return batchRecords.batches(this.ctx, jobId, scope, from, to);
  }
  batchContaining(jobId: string, id: number) {
    return batchRecords.batchContaining(this.ctx, jobId, id);
  }
  openBatches(jobId: string, free?: LeaseFilter): AsyncIterable<Batch> {
    return batchRecords.openBatches(this.ctx, jobId, free);
  }
  acquire(input: acquireRecords.AcquireInput): Promise<AcquireResult> {
    return acquireRecords.acquire(this.ctx, input);
  }
  heartbeat(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    token: number;
    owner: string;
    leaseMs: number;
  }) {
    return leaseRecords.heartbeat(this.ctx, input);
  }
  commit(input: CommitInput) {
    return leaseRecords.commit(this.ctx, input);
  }
  fail(input: FailInput) {
    return leaseRecords.fail(this.ctx, input);
  }
  pendingPublishes(jobId: string) {
    return publishRecords.pendingPublishes(this.ctx, jobId);
  }
  finishPublish(p: ExceptionPublish) {
    return publishRecords.finishPublish(this.ctx, p);
  }
  async failAbandoned(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  }) {
    const b = await this.getBatch(input.jobId, input.scope, input.start);
    if (b?.status !== 'RUNNING' || b.leaseRunId !== input.runId || !b.leaseOwner) return false;
    const read = {
      token: b.token,
      owner: b.leaseOwner,
      attempt: b.attempt,
      end: b.end,
      startedAt: b.startedAt ?? b.plannedAt,
      configHash: b.configHash,
    };
    return attemptRecords.failAbandoned(this.ctx, input, read);
  }
  attempts(jobId: string, scope: BatchScope, start?: number): AsyncIterable<Attempt> {
    return attemptRecords.attempts(this.ctx, jobId, scope, start);
  }
  runAttempts(jobId: string, runId: string): AsyncIterable<Attempt> {
    return attemptRecords.runAttempts(this.ctx, jobId, runId);
  }
  putRun(run: Run) {
    return jobRecords.putRun(this.ctx, run);
  }
  getRun(jobId: string, runId: string) {
    return jobRecords.getRun(this.ctx, jobId, runId);
  }
  listRuns(jobId: string, page?: PageRequest) {
    return jobRecords.listRuns(this.ctx, jobId, page);
  }
  finishRun(jobId: string, runId: string, patch: Pick<Run, 'status' | 'finishedAt' | 'stats'>) {
    return jobRecords.finishRun(this.ctx, jobId, runId, patch);
  }
  deletePage(jobId: string, limit: number) {
    return jobRecords.deletePage(this.ctx, jobId, limit);
  }
  deleteJobRecord(jobId: string) {
    return jobRecords.deleteJobRecord(this.ctx, jobId);
  }
}
