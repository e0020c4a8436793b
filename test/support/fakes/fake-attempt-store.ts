import { keys } from '../../../core/contracts/tables.ts';
import type { Attempt, BatchScope } from '../../../core/model.ts';
import type { AttemptStore } from '../../../core/ports/index.ts';
import {
  batchOf,
  type FakeContext,
  hasAttempt,
  LEASE_ATTRIBUTES,
  putAttempt,
  putBatch,
  recordsUnder,
} from './fake-records.ts';
import { copy, iso, omit } from './fake-table.ts';

/**
 * AttemptStore in memory, with DynamoAttemptStore's rules: attempts in key order (scope, start, end, attempt
 * number), and an abandoned attempt failed only while the batch is still RUNNING under the run with the token
 * read, so a newer owner is never disturbed.
 */
export class FakeAttemptStore implements AttemptStore {
  constructor(private readonly ctx: FakeContext) {}

  async *list(jobId: string, scope: BatchScope, start?: number): AsyncIterable<Attempt> {
    // A#I#<start>#... or A#S#<run>#<start>#...: cut after the scope (and the start when one is given).
    const head = keys.attempt(jobId, scope, start ?? 0, 0, 0).sk.split('#');
    const scopeParts = scope.kind === 'inventory' ? 2 : 3;
    const prefix = `${head.slice(0, scopeParts + (start === undefined ? 0 : 1)).join('#')}#`;
    for (const r of recordsUnder(this.ctx.tables, jobId, prefix, 'attempt')) yield copy(r.attempt);
  }

  /** The byRun index: attempts whose run is `runId`, in key order. */
  async *runAttempts(jobId: string, runId: string): AsyncIterable<Attempt> {
    for (const r of recordsUnder(this.ctx.tables, jobId, 'A#', 'attempt')) {
      if (r.attempt.runId === runId) yield copy(r.attempt);
    }
  }

  async failAbandoned(input: {
    jobId: string;
    scope: BatchScope;
    start: number;
    runId: string;
    error: { name: string; message: string };
  }): Promise<boolean> {
    const t = this.ctx.tables;
    const b = batchOf(t, input.jobId, input.scope, input.start);
    if (b?.status !== 'RUNNING' || b.leaseRunId !== input.runId || !b.leaseOwner) return false;
    const now = this.ctx.clock.now();
    const startedAt = b.startedAt ?? b.plannedAt;
    const attempt: Attempt = {
      jobId: input.jobId,
      scope: input.scope,
      start: input.start,
      end: b.end,
      attempt: b.attempt,
      runId: input.runId,
      owner: b.leaseOwner,
      token: b.token,
      startedAt,
      endedAt: iso(now),
      outcome: 'FAILED',
      configHash: b.configHash ?? 'unknown',
      itemsSucceeded: 0,
      itemsExcepted: 0,
      durationMs: Math.max(0, now - Date.parse(startedAt)),
      error: input.error,
    };
    if (hasAttempt(t, attempt)) return false;
    const error = `${input.error.name}: ${input.error.message}`.slice(0, 2000);
    putBatch(t, { ...omit(b, ...LEASE_ATTRIBUTES), status: 'FAILED', error });
    putAttempt(t, attempt);
    return true;
  }
}
