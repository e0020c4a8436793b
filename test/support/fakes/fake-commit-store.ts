import { occurrenceWrites } from '../../../core/adapters/exception-record.ts';
import { keys } from '../../../core/contracts/tables.ts';
import type { Attempt } from '../../../core/model.ts';
import {
  attemptOf as attemptRecord,
  batchCommitted,
  COMMIT_EXCEPTIONS_MAX,
  type CommitInput,
  type CommitRecorded,
  type CommitStore,
  type FailInput,
  publishOf,
} from '../../../core/ports/index.ts';
import { applyOccurrence } from './fake-exception-store.ts';
import { leaseLost } from './fake-lease-store.ts';
import {
  batchOf,
  type FakeContext,
  fenced,
  hasAttempt,
  LEASE_ATTRIBUTES,
  putAttempt,
  putBatch,
  putEvent,
} from './fake-records.ts';
import { compact, copy, iso, omit } from './fake-table.ts';

/** The attempt a commit or a fail logs, without the fields it leaves unset (as DynamoDB stores it). */
const attemptOf = (...args: Parameters<typeof attemptRecord>) => compact<Attempt>(attemptRecord(...args));

/**
 * CommitStore in memory, with DynamoCommitStore's rules: only the current token's owner, before its lease
 * expires, ends an attempt, and only once (an attempt record is written once); the batch, the attempt, the
 * exceptions and a staged publish go together or not at all.
 */
export class FakeCommitStore implements CommitStore {
  constructor(private readonly ctx: FakeContext) {}

  async commit(c: CommitInput): Promise<CommitRecorded> {
    if (c.exceptions.length > COMMIT_EXCEPTIONS_MAX)
      throw new RangeError(`a commit carries at most ${COMMIT_EXCEPTIONS_MAX} exceptions; stage the rest`);
    const t = this.ctx.tables;
    const now = this.ctx.clock.now();
    const attempt = attemptOf(c, 'SUCCEEDED', now, {
      itemsSucceeded: c.itemsSucceeded,
      itemsExcepted: c.itemsExcepted,
    });
    for (const x of c.exceptions) occurrenceWrites(c, x, iso(now)); // refused as DynamoDB would be sent them
    const b = batchOf(t, c.jobId, c.scope, c.start);
    if (!fenced(b, c, now) || hasAttempt(t, attempt)) throw leaseLost(c, 'commit');
    const ended = omit(
      b,
      ...LEASE_ATTRIBUTES,
      'error',
      'reservedBy',
      'reservedUntil',
      'outputKey',
      'consumed',
      'staleFrom',
    );
    putBatch(t, {
      ...ended,
      status: 'SUCCEEDED',
      completedAt: iso(now),
      completedRunId: c.runId,
      configHash: c.configHash,
      itemsSucceeded: c.itemsSucceeded,
      itemsExcepted: c.itemsExcepted,
      outputKey: c.outputKey,
      consumed: c.consumed,
    });
    putAttempt(t, attempt);
    // Each exception: its occurrence, and the item's record created or reopened.
    for (const x of c.exceptions) applyOccurrence(t.exceptions, c, x, iso(now));
    const event = batchCommitted(c, iso(now));
    putEvent(t, event);
    const publish = publishOf(c, iso(now));
    if (publish) {
      t.inventory.put(keys.publish(c.jobId, c.scope, c.start, c.token), {
        kind: 'publish',
        publish: copy(publish),
      });
    }
    return publish ? { event: copy(event), publish: copy(publish) } : { event: copy(event) };
  }

  async fail(f: FailInput): Promise<void> {
    const t = this.ctx.tables;
    const now = this.ctx.clock.now();
    const attempt = attemptOf(f, f.outcome, now, { error: f.error });
    const b = batchOf(t, f.jobId, f.scope, f.start);
    if (!fenced(b, f, now) || hasAttempt(t, attempt))
      throw leaseLost(f, f.outcome === 'RETRY' ? 'release for retry' : 'fail');
    // RETRY too leaves the batch FAILED: released, to be acquired again.
    const error = `${f.error.name}: ${f.error.message}`.slice(0, 2000);
    putBatch(t, { ...omit(b, ...LEASE_ATTRIBUTES), status: 'FAILED', error });
    putAttempt(t, attempt);
  }
}
