import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BatchNotFoundError, LeaseLostError } from '../errors.ts';
import type { Attempt, BatchScope } from '../model.ts';
import type { AcquirePolicy, AcquireResult, CommitInput, FailInput, LeaseRef, NewException } from '../ports.ts';
import { BY_RUN_INDEX, keys, pad } from '../tables.ts';
import { type InventoryCtx, TRANSACT_MAX, type TransactItem, isConditionalCheckFailed, iso, oldItemOf, queryItems, transact } from './dynamo-support.ts';
import { aliasNames } from './expression-names.ts';
import { toExceptionItem } from './exception-record.ts';
import { fromAttemptItem, fromBatchItem, openPkOf, toAttemptItem } from './inventory-records.ts';

export interface AcquireInput {
  jobId: string;
  scope: BatchScope;
  start: number;
  owner: string;
  runId: string;
  leaseMs: number;
  policy: AcquirePolicy;
}

const POLICY_CLAUSE: Record<AcquirePolicy, string> = {
  'skip-succeeded': '#status <> :succeeded',
  'redo-unless-same-run': 'NOT (#status = :succeeded AND completedRunId = :run)',
};

/**
 * Take the lease: one conditional update that bumps the fencing token and the attempt number. It succeeds only
 * when no live lease exists; a lease past its expiry is taken over (its attempt is logged LEASE_EXPIRED).
 */
export async function acquire(ctx: InventoryCtx, input: AcquireInput): Promise<AcquireResult> {
  const now = ctx.clock.now();
  const key = keys.batch(input.jobId, input.scope, input.start);
  try {
    const out = await ctx.doc.send(
      new UpdateCommand(aliasNames({
        TableName: ctx.table,
        Key: key,
        UpdateExpression:
          'SET #status = :running, leaseOwner = :owner, leaseRunId = :run, leaseExpiresAt = :exp, startedAt = :at,' +
          ' openPk = :openPk, openSk = :openSk,' +
          // Right-hand operands read the item before the update: remember whose lease this one replaces.
          ' prevStatus = #status, prevOwner = if_not_exists(leaseOwner, :none),' +
          ' prevRunId = if_not_exists(leaseRunId, :none), prevStartedAt = if_not_exists(startedAt, :at)' +
          ' ADD token :one, attempt :one',
        ConditionExpression:
          'attribute_exists(pk)' +
          // Mutual exclusion: no live lease of anyone (an expired one may be taken over).
          ' AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now)' +
          ` AND ${POLICY_CLAUSE[input.policy]}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':running': 'RUNNING',
          ':succeeded': 'SUCCEEDED',
          ':owner': input.owner,
          ':run': input.runId,
          ':exp': now + input.leaseMs,
          ':at': iso(now),
          ':now': now,
          ':one': 1,
          ':openPk': openPkOf(input.jobId, input.scope),
          ':openSk': pad(input.start),
          ':none': '',
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      })),
    );
    const raw = out.Attributes ?? {};
    const batch = fromBatchItem(raw);
    const grant = { outcome: 'ACQUIRED' as const, token: batch.token, attempt: batch.attempt, startedAt: now, batch };
    if (raw.prevStatus !== 'RUNNING') return grant;
    // Takeover: the previous owner died holding the lease; its attempt goes into the history as expired.
    const prevOwner = String(raw.prevOwner ?? '');
    await logExpiredAttempt(ctx, {
      jobId: input.jobId,
      scope: input.scope,
      start: batch.start,
      end: batch.end,
      attempt: batch.attempt - 1,
      runId: String(raw.prevRunId ?? ''),
      owner: prevOwner,
      token: batch.token - 1,
      startedAt: String(raw.prevStartedAt),
      endedAt: iso(now),
      outcome: 'LEASE_EXPIRED',
      configHash: batch.configHash ?? 'unknown',
      itemsSucceeded: 0,
      itemsExcepted: 0,
      durationMs: Math.max(0, now - Date.parse(String(raw.prevStartedAt))),
      error: { name: 'LeaseExpired', message: `lease of ${prevOwner} expired before it committed` },
    });
    return { ...grant, tookOverFrom: prevOwner };
  } catch (e) {
    if (!isConditionalCheckFailed(e)) throw e;
    const old = oldItemOf(e);
    if (!old) throw new BatchNotFoundError({ jobId: input.jobId, batchStart: input.start, scope: input.scope.kind });
    const batch = fromBatchItem(old);
    const live = batch.leaseExpiresAt !== undefined && batch.leaseExpiresAt >= now;
    return live ? { outcome: 'BUSY', batch } : { outcome: 'ALREADY_DONE', batch };
  }
}

/** Log the attempt a dead owner left behind, once (attempt records are written once, never overwritten). */
export async function logExpiredAttempt(ctx: InventoryCtx, a: Attempt): Promise<void> {
  try {
    await ctx.doc.send(
      new PutCommand(aliasNames({ TableName: ctx.table, Item: toAttemptItem(a), ConditionExpression: 'attribute_not_exists(pk)' })),
    );
  } catch (e) {
    if (!isConditionalCheckFailed(e)) throw e;
  }
}

/** The clause every fenced write carries: our token, our lease, not yet expired. */
const FENCE = 'token = :token AND leaseOwner = :owner AND leaseExpiresAt >= :now';

export async function heartbeat(
  ctx: InventoryCtx,
  input: { jobId: string; scope: BatchScope; start: number; token: number; owner: string; leaseMs: number },
): Promise<void> {
  const now = ctx.clock.now();
  try {
    await ctx.doc.send(
      new UpdateCommand(aliasNames({
        TableName: ctx.table,
        Key: keys.batch(input.jobId, input.scope, input.start),
        UpdateExpression: 'SET leaseExpiresAt = :exp',
        ConditionExpression: FENCE,
        ExpressionAttributeValues: { ':exp': now + input.leaseMs, ':token': input.token, ':owner': input.owner, ':now': now },
      })),
    );
  } catch (e) {
    if (isConditionalCheckFailed(e)) throw lost(input, 'heartbeat');
    throw e;
  }
}

const lost = (l: { jobId: string; start: number; token: number }, operation: string) =>
  new LeaseLostError({ jobId: l.jobId, batchStart: l.start, token: l.token, operation });

function fenceCheck(ctx: InventoryCtx, l: LeaseRef & { owner: string }, now: number): TransactItem {
  return {
    ConditionCheck: {
      TableName: ctx.table,
      Key: keys.batch(l.jobId, l.scope, l.start),
      ConditionExpression: FENCE,
      ExpressionAttributeValues: { ':token': l.token, ':owner': l.owner, ':now': now },
    },
  };
}

function exceptionPuts(ctx: InventoryCtx, l: LeaseRef & { runId: string }, list: readonly NewException[], at: string) {
  return list.map((x) => ({
    Put: { TableName: ctx.exceptionsTable, Item: toExceptionItem(l.jobId, l.runId, l.start, x, at) },
  }));
}

/** Exceptions written ahead of the commit, each transaction fenced by the token. */
export async function recordExceptions(
  ctx: InventoryCtx,
  lease: LeaseRef & { owner: string; runId: string },
  list: readonly NewException[],
): Promise<void> {
  for (let i = 0; i < list.length; i += TRANSACT_MAX - 1) {
    const now = ctx.clock.now();
    const out = await transact(ctx, [fenceCheck(ctx, lease, now), ...exceptionPuts(ctx, lease, list.slice(i, i + TRANSACT_MAX - 1), iso(now))]);
    if (!out.ok) throw lost(lease, 'record exceptions');
  }
}

function attemptOf(l: CommitInput | FailInput, outcome: Attempt['outcome'], now: number, extra: Partial<Attempt>): Attempt {
  return {
    jobId: l.jobId,
    scope: l.scope,
    start: l.start,
    end: l.end,
    attempt: l.attempt,
    runId: l.runId,
    owner: l.owner,
    token: l.token,
    startedAt: iso(l.startedAt),
    endedAt: iso(now),
    outcome,
    configHash: l.configHash,
    itemsSucceeded: 0,
    itemsExcepted: 0,
    durationMs: now - l.startedAt,
    diagnostics: l.diagnostics,
    ...extra,
  };
}

/** Commit: status, the attempt and (up to a transaction's room) the exceptions, atomically and fenced. */
export async function commit(ctx: InventoryCtx, c: CommitInput): Promise<void> {
  const inline = c.exceptions.length <= TRANSACT_MAX - 2 ? c.exceptions : [];
  if (inline.length < c.exceptions.length) await recordExceptions(ctx, c, c.exceptions);
  const now = ctx.clock.now();
  const attempt = attemptOf(c, 'SUCCEEDED', now, { itemsSucceeded: c.itemsSucceeded, itemsExcepted: c.itemsExcepted });
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(c.jobId, c.scope, c.start),
        UpdateExpression:
          'SET #status = :succeeded, completedAt = :at, completedRunId = :run, configHash = :hash,' +
          ` itemsSucceeded = :ok, itemsExcepted = :ex${c.outputKey ? ', outputKey = :out' : ''}` +
          ` REMOVE leaseOwner, leaseRunId, leaseExpiresAt, openPk, openSk, #error, reservedBy, reservedUntil${c.outputKey ? '' : ', outputKey'}`,
        ConditionExpression: FENCE,
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':succeeded': 'SUCCEEDED',
          ':at': iso(now),
          ':run': c.runId,
          ':hash': c.configHash,
          ':ok': c.itemsSucceeded,
          ':ex': c.itemsExcepted,
          ':out': c.outputKey,
          ':token': c.token,
          ':owner': c.owner,
          ':now': now,
        },
      },
    },
    { Put: { TableName: ctx.table, Item: toAttemptItem(attempt), ConditionExpression: 'attribute_not_exists(pk)' } },
    ...exceptionPuts(ctx, c, inline, iso(now)),
  ]);
  if (!out.ok) throw lost(c, 'commit');
}

/** Fail (or give back for a retry): fenced like commit; the attempt is logged with its error. */
export async function fail(ctx: InventoryCtx, f: FailInput): Promise<void> {
  const now = ctx.clock.now();
  const attempt = attemptOf(f, f.outcome, now, { error: f.error });
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(f.jobId, f.scope, f.start),
        UpdateExpression: 'SET #status = :failed, #error = :msg, failedAt = :at REMOVE leaseOwner, leaseRunId, leaseExpiresAt',
        ConditionExpression: FENCE,
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':msg': `${f.error.name}: ${f.error.message}`.slice(0, 2000),
          ':at': iso(now),
          ':token': f.token,
          ':owner': f.owner,
          ':now': now,
        },
      },
    },
    { Put: { TableName: ctx.table, Item: toAttemptItem(attempt), ConditionExpression: 'attribute_not_exists(pk)' } },
  ]);
  if (!out.ok) throw lost(f, f.outcome === 'RETRY' ? 'release for retry' : 'fail');
}

/** A worker that died without a word (timeout, out of memory): fail its attempt if the run still holds it. */
export async function failAbandoned(
  ctx: InventoryCtx,
  input: { jobId: string; scope: BatchScope; start: number; runId: string; error: { name: string; message: string } },
  read: { token: number; owner: string; attempt: number; end: number; startedAt: string; configHash?: string },
): Promise<boolean> {
  const now = ctx.clock.now();
  const attempt: Attempt = {
    jobId: input.jobId,
    scope: input.scope,
    start: input.start,
    end: read.end,
    attempt: read.attempt,
    runId: input.runId,
    owner: read.owner,
    token: read.token,
    startedAt: read.startedAt,
    endedAt: iso(now),
    outcome: 'FAILED',
    configHash: read.configHash ?? 'unknown',
    itemsSucceeded: 0,
    itemsExcepted: 0,
    durationMs: Math.max(0, now - Date.parse(read.startedAt)),
    error: input.error,
  };
  const out = await transact(ctx, [
    {
      Update: {
        TableName: ctx.table,
        Key: keys.batch(input.jobId, input.scope, input.start),
        UpdateExpression: 'SET #status = :failed, #error = :msg, failedAt = :at REMOVE leaseOwner, leaseRunId, leaseExpiresAt',
        // Only the attempt that was read: a newer owner (higher token) is never disturbed.
        ConditionExpression: 'token = :token AND leaseRunId = :run AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: {
          ':failed': 'FAILED',
          ':running': 'RUNNING',
          ':msg': `${input.error.name}: ${input.error.message}`.slice(0, 2000),
          ':at': iso(now),
          ':token': read.token,
          ':run': input.runId,
        },
      },
    },
    { Put: { TableName: ctx.table, Item: toAttemptItem(attempt), ConditionExpression: 'attribute_not_exists(pk)' } },
  ]);
  return out.ok;
}

/** Attempts of one batch (or every batch of the scope), oldest first. */
export async function* attempts(ctx: InventoryCtx, jobId: string, scope: BatchScope, start?: number) {
  const head = keys.attempt(jobId, scope, start ?? 0, 0, 0).sk.split('#');
  // A#I#<start>#... or A#S#<run>#<start>#...: cut after the scope (and the start when one is given).
  const scopeParts = scope.kind === 'inventory' ? 2 : 3;
  const prefix = `${head.slice(0, scopeParts + (start === undefined ? 0 : 1)).join('#')}#`;
  for await (const item of queryItems(ctx.doc, {
    TableName: ctx.table,
    KeyConditionExpression: 'pk = :p AND begins_with(sk, :a)',
    ExpressionAttributeValues: { ':p': keys.jobPk(jobId), ':a': prefix },
    ConsistentRead: true,
  })) {
    yield fromAttemptItem(item);
  }
}

/** Attempts of one run, from the sparse byRun index. */
export async function* runAttempts(ctx: InventoryCtx, jobId: string, runId: string) {
  for await (const item of queryItems(ctx.doc, {
    TableName: ctx.table,
    IndexName: BY_RUN_INDEX.indexName,
    KeyConditionExpression: 'runPk = :p',
    ExpressionAttributeValues: { ':p': keys.runPk(jobId, runId) },
  })) {
    yield fromAttemptItem(item);
  }
}
