import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ItemRejectedError, PreflightFailedError, RetryableError } from '../../../core/errors.ts';
import { requeueExceptions } from '../../../core/exceptions/requeue.ts';
import { resolveException } from '../../../core/exceptions/review.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { recordFailure } from '../../../core/processing/record-failure.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { finalizeRun } from '../../../core/runs/finalize-run.ts';
import { collect, coreEnv, seedDataset } from '../../support/core-env.ts';
import { manifestOf } from '../../support/inventory-checks.ts';

const lines: string[] = [];
const log = {
  info: (m: string, d?: unknown) => lines.push(JSON.stringify([m, d])),
  warn: (m: string, d?: unknown) => lines.push(JSON.stringify([m, d])),
};
const worker = (id: string) => ({ invocationId: id, log });

let flaky = 0;
/** Rejects odd ids, uses the data set's secret, fails the batch on n = 13, asks for a retry once on n = 21. */
const picky = defineProcessor({
  name: 'picky',
  version: '1',
  configSchema: z.strictObject({ tag: z.string().default('a') }),
  itemSchema: z.object({ n: z.number() }),
  async beforeBatch(ctx) {
    const secret = await ctx.secret();
    ctx.log.info('connected', { hasSecret: secret !== undefined });
    return { connected: secret !== undefined };
  },
  processItem(item, { ctx }) {
    if (item.n === 13) throw new TypeError('unlucky');
    if (item.n === 21 && flaky++ === 0) throw new RetryableError('throttled');
    if (item.n % 2 === 1) throw new ItemRejectedError('odd', { n: item.n });
    return { half: item.n / 2, tag: ctx.config.tag, connected: ctx.state.connected };
  },
});

async function setup(label: string, opts: { secret?: string } = {}) {
  const e = await coreEnv(label, [picky]);
  let secretArn: string | undefined;
  if (opts.secret) {
    const key = await e.env.clients.kms.send(new CreateKeyCommand({ Description: 'data sets' }));
    const out = await e.env.clients.secrets.send(
      new CreateSecretCommand({
        Name: `ds-${label}`,
        SecretString: opts.secret,
        KmsKeyId: key.KeyMetadata?.KeyId,
      }),
    );
    secretArn = out.ARN;
  }
  await e.deps.catalog.createDataset({ datasetId: 'ds', secretArn }, 'x');
  await seedDataset(e.deps, 'ds', 40, { chunk: 10 });
  await createJob(e.deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'picky' },
    batching: { by: 'count', size: 10 },
  });
  const plan = await planRun(e.deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  const manifest = await manifestOf(e.deps, plan.manifestKey);
  const event = (i: number) => ({
    jobId: 'j',
    runId: 'run-1',
    mode: 'incremental' as const,
    batch: manifest[i] as (typeof manifest)[number],
  });
  return { ...e, event };
}

describe('processBatch', () => {
  it('processes items, sets rejected ones aside, writes outputs to the batch key and commits, with the preflight answers', async () => {
    const { deps, event } = await setup('pb-basic');
    const out = await processBatch(deps, event(0), worker('w1'));
    expect(out).toMatchObject({
      outcome: 'SUCCEEDED',
      start: 1,
      end: 10,
      itemsSucceeded: 5,
      itemsExcepted: 5,
    });
    const body = await deps.objects.get(
      deps.buckets.work,
      'outputs/j/0000000000000001-0000000000000010.jsonl',
    );
    const rows = Buffer.from(body as Uint8Array)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.id)).toEqual([2, 4, 6, 8, 10]);
    expect(rows[0].output).toEqual({ half: 1, tag: 'a', connected: false });
    expect(
      (await deps.exceptions.list('j', { status: 'OPEN' })).items.map((x) => [x.itemId, x.kind]),
    ).toEqual([
      [1, 'odd'],
      [3, 'odd'],
      [5, 'odd'],
      [7, 'odd'],
      [9, 'odd'],
    ]);
    const [attempt] = await collect(deps.attempts.list('j', { kind: 'inventory' }, 1));
    const preflight = attempt?.diagnostics?.preflight as Record<string, { ok: boolean }>;
    expect(Object.keys(preflight).sort()).toEqual(['ready', 'right', 'safe', 'valid', 'where']);
    expect(Object.values(preflight).every((a) => a.ok)).toBe(true);
    expect(await processBatch(deps, event(0), worker('w2'))).toMatchObject({ outcome: 'ALREADY_DONE' });
  });

  it('gives the lease back on a retryable error, fails the batch on any other, and RecordFailure is then a no-op', async () => {
    flaky = 0;
    const { deps, event } = await setup('pb-errors');
    await expect(processBatch(deps, event(2), worker('w1'))).rejects.toBeInstanceOf(RetryableError);
    expect(await processBatch(deps, event(2), worker('w2'))).toMatchObject({ outcome: 'SUCCEEDED' });
    await expect(processBatch(deps, event(1), worker('w3'))).rejects.toBeInstanceOf(TypeError);
    const failed = await deps.batches.getBatch('j', { kind: 'inventory' }, 11);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'TypeError: unlucky' });
    const caught = {
      ...event(1),
      error: { Error: 'TypeError', Cause: JSON.stringify({ errorMessage: 'unlucky' }) },
    };
    expect(await recordFailure(deps, caught)).toEqual({ recorded: false, error: 'TypeError' });
    const history = await collect(deps.attempts.list('j', { kind: 'inventory' }));
    expect(history.map((h) => [h.start, h.outcome])).toEqual([
      [11, 'FAILED'],
      [21, 'RETRY'],
      [21, 'SUCCEEDED'],
    ]);
    const fin = await finalizeRun(deps, { jobId: 'j', runId: 'run-1' });
    expect(fin).toMatchObject({
      status: 'PARTIAL',
      batchesSucceeded: 1,
      batchesFailed: 1,
      batchesNotDone: 2,
    });
    const run = await deps.runs.getRun('j', 'run-1');
    expect(run?.stats?.states.ProcessBatch?.count).toBe(3);
  });

  it('fails the preflight when an object is missing, and says which question', async () => {
    const { deps, event, env } = await setup('pb-missing');
    await deps.objects.deletePrefixPage(env.dataBucket, 'ds/part-0000000011');
    const error = await processBatch(deps, event(1), worker('w1')).catch((e) => e);
    expect(error).toBeInstanceOf(PreflightFailedError);
    expect(error.context.question).toBe('where');
    const [attempt] = await collect(deps.attempts.list('j', { kind: 'inventory' }, 11));
    expect((attempt?.diagnostics?.preflight as Record<string, { ok: boolean }> | undefined)?.where?.ok).toBe(
      false,
    );
  });
});

describe('secrets', () => {
  it('resolves the data set secret through Secrets Manager and KMS, and the value appears in no table, object or log', async () => {
    const value = 'pw-7f3a9c-SECRET-VALUE';
    const { deps, event, env } = await setup('pb-secret', { secret: value });
    lines.length = 0;
    for (const i of [0, 3]) await processBatch(deps, event(i), worker(`w${i}`));
    await finalizeRun(deps, { jobId: 'j', runId: 'run-1' });
    const out = await deps.objects.get(
      deps.buckets.work,
      'outputs/j/0000000000000001-0000000000000010.jsonl',
    );
    expect(Buffer.from(out as Uint8Array).toString()).toContain('"connected":true');
    for (const table of Object.values(env.tables)) {
      const items = await env.clients.doc.send(new ScanCommand({ TableName: table }));
      expect(JSON.stringify(items.Items)).not.toContain(value);
    }
    for (const bucket of [env.bucket, env.dataBucket]) {
      for (const o of (await deps.objects.list(bucket, '')).items) {
        expect(Buffer.from((await deps.objects.get(bucket, o.key)) as Uint8Array).toString()).not.toContain(
          value,
        );
      }
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(value);
  });
});

describe('exceptions flow', () => {
  it('resolves one exception with a note, requeues the rest as a data set another job processes', async () => {
    const { deps, event } = await setup('pb-requeue');
    await processBatch(deps, event(0), worker('w1'));
    const open = (await deps.exceptions.list('j', { status: 'OPEN' })).items;
    await resolveException(deps, 'j', open[0]?.exceptionId, 'checked by hand: fine');
    const again = await requeueExceptions(deps, 'j');
    expect(again).toMatchObject({ requeued: 4, reviewed: 4, alreadyReviewed: 0, datasetId: 'j.exceptions' });
    expect(await requeueExceptions(deps, 'j')).toEqual({
      requeued: 0,
      reviewed: 0,
      byKind: {},
      alreadyReviewed: 0,
      datasetId: 'j.exceptions',
    });
    expect(await deps.exceptions.counts('j')).toEqual({ OPEN: 0, RESOLVED: 1, REQUEUED: 4, SUPERSEDED: 0 });
    // Each requeued exception points at the entry that refers back to its own item.
    for (const x of (await deps.exceptions.list('j', { status: 'REQUEUED' })).items) {
      const [entry] = await collect(
        deps.catalog.entries('j.exceptions', x.requeuedAs?.id ?? 0, x.requeuedAs?.id ?? 0),
      );
      expect(entry?.ref).toEqual({ datasetId: 'ds', id: x.itemId });
    }
    await createJob(deps, {
      jobId: 'j2',
      datasetId: 'j.exceptions',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
    });
    const plan = await planRun(deps, { jobId: 'j2', mode: 'incremental' }, 'run-2');
    expect(plan.items).toBe(4);
    const out = await processBatch(
      deps,
      {
        jobId: 'j2',
        runId: 'run-2',
        mode: 'incremental',
        batch: { start: 1, end: 4, stride: 1, scope: 'inventory' },
      },
      worker('w'),
    );
    expect(out).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 4 });
  });
});
