import { randomBytes } from 'node:crypto';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';
import { EventBridgeBus } from '../../core/adapters/eventbridge-bus.ts';
import { makeDeps } from '../../core/adapters/make-deps.ts';
import { registerObjects } from '../../core/catalog/register-objects.ts';
import { InjectedFaultError, LeaseLostError } from '../../core/errors.ts';
import type { ManifestItem, ProcessBatchEvent } from '../../core/events.ts';
import { createJob, deleteJob } from '../../core/jobs/jobs.ts';
import { planRun } from '../../core/planning/plan-run.ts';
import type { JobEvent } from '../../core/ports/event-bus.ts';
import { processBatch } from '../../core/processing/process-batch.ts';
import { recordFailure } from '../../core/processing/record-failure.ts';
import { type AnyProcessor, defineProcessor } from '../../core/processors/define-processor.ts';
import { createRegistry } from '../../core/processors/registry.ts';
import { finalizeRun } from '../../core/runs/finalize-run.ts';
import { triggerOnEvents } from '../../core/runs/triggers.ts';
import { JsonObject } from '../../core/validation.ts';
import { type CoreEnv, collect, coreEnv, quietWorker, seedJob } from '../support/core-env.ts';
import { manifestOf } from '../support/inventory-checks.ts';
import { gatedProcessor, refuseAll } from '../support/processors.ts';
import { grantCheck, type Recorder, recordActions } from './recorded-actions.ts';
import { build } from './support.ts';

/**
 * The local engines enforce no IAM: here the pipeline's code paths run on them while every DynamoDB and S3
 * action they issue is recorded for the function that runs it, and each must be allowed by that function's
 * role in the synthesized template. Each test also asserts that its path was taken, so none passes by
 * silently doing less.
 */

const { stack, template } = build();
const check = grantCheck(stack, template.toJSON().Resources);

/** Fails its batch with a plain Error past id 10. */
const brokenPast10 = defineProcessor({
  name: 'broken-past-10',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (id > 10) throw new Error('broken');
    return { ok: true };
  },
});

const gate = gatedProcessor();

type Recorded = CoreEnv & { rec: Recorder };

/** Fresh tables and buckets whose requests are recorded, per function, until the test ends. */
async function recorded(label: string, extra: readonly AnyProcessor[] = []): Promise<Recorded> {
  const e = await coreEnv(label, extra);
  const rec = recordActions(e.env);
  onTestFinished(() => rec.stop());
  return { ...e, rec };
}

/** A data set `ds` of `count` records and a job `j` over it in batches of `size`. */

const event = (runId: string, batch: ManifestItem, mode: ProcessBatchEvent['mode'] = 'incremental') => ({
  jobId: 'j',
  runId,
  mode,
  batch,
});

const plan = (e: Recorded, input: Record<string, unknown>, runId: string) =>
  e.rec.as('planRun', () => planRun(e.deps, { jobId: 'j', ...input }, runId));

const work = (e: Recorded, ev: ProcessBatchEvent, deps = e.deps) =>
  e.rec.as('processBatch', () => processBatch(deps, ev, quietWorker(`w-${ev.batch.start}`)));

/** Job `j` of 120 items in one batch of run-1 that refuse-all sets aside: more than a commit carries, so staged. */
async function stagedBatch(label: string): Promise<{ e: Recorded; batch: ManifestItem }> {
  const e = await recorded(label, [refuseAll]);
  await seedJob(e.deps, { ids: 120, size: 120, processor: 'refuse-all' });
  const [batch] = await manifestOf(e.deps, (await plan(e, { mode: 'incremental' }, 'run-1')).manifestKey);
  return { e, batch: batch as ManifestItem };
}

/** Each pattern matches a recorded need: the code path it stands for was taken. */
function expectTaken(e: Recorded, ...patterns: RegExp[]): void {
  expect(e.rec.lines()).toEqual(expect.arrayContaining(patterns.map((p) => expect.stringMatching(p))));
}

const expectAllGranted = (e: Recorded) => expect(check.misses(e.rec.needed)).toEqual([]);

describe('the actions each function issues are granted to its role', () => {
  it('covers Plan leaving later cuts to the workers, and the workers creating them', async () => {
    const e = await recorded('iam-cuts');
    await seedJob(e.deps, { ids: 250, size: 1 });
    const planned = await plan(e, { mode: 'incremental', maxConcurrency: 1 }, 'run-1');
    const manifest = await manifestOf(e.deps, planned.manifestKey);
    const ahead = manifest.find((m) => m.ahead === 100);
    // Of the other deferred cut, before its worker ahead: acquiring finds no batch and creates the cut.
    const late = manifest.find((m) => m.start === 210 && m.cut === 199);
    const plain = manifest.find((m) => m.cut === undefined && m.ahead === undefined);
    for (const item of [ahead, late, plain]) {
      expect(item).toBeDefined();
      expect((await work(e, event('run-1', item as ManifestItem))).outcome).toBe('SUCCEEDED');
    }
    expect(await collect(e.deps.cuts.pendingCuts('j'))).toEqual([]);
    expectTaken(
      e,
      /^Plan: dynamodb:DeleteItem on inventory \(N#/,
      /^Plan: s3:PutObject on work manifests\//,
      /^ProcessBatch: dynamodb:DeleteItem on inventory \(N#/,
      /^ProcessBatch: s3:PutObject on work outputs\//,
    );
    expectAllGranted(e);
  });

  it('covers a batch of more than 98 exceptions, staged, committed and published by its worker', async () => {
    const { e, batch } = await stagedBatch('iam-staged');
    const out = await work(e, event('run-1', batch));
    expect([out.outcome, out.itemsExcepted]).toEqual(['SUCCEEDED', 120]);
    expect(await e.deps.publishes.pendingPublishes('j')).toEqual([]);
    expectTaken(
      e,
      /^ProcessBatch: s3:PutObject on work staging\//,
      /^ProcessBatch: s3:GetObject on work staging\//,
      /^ProcessBatch: s3:DeleteObject on work staging\//,
      /^ProcessBatch: dynamodb:PutItem on exceptions/,
      /^ProcessBatch: dynamodb:DeleteItem on inventory \(P#/,
    );
    expectAllGranted(e);
  });

  it('covers the next Plan publishing what a worker staged before it crashed after its commit', async () => {
    const { e, batch } = await stagedBatch('iam-staged-crash');
    e.faults.crashAt('process.afterCommit');
    await expect(work(e, event('run-1', batch))).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await e.deps.publishes.pendingPublishes('j')).toHaveLength(1);
    await plan(e, { mode: 'incremental' }, 'run-2');
    expect(await e.deps.publishes.pendingPublishes('j')).toEqual([]);
    expect((await e.deps.exceptions.counts('j')).OPEN).toBe(120);
    expectTaken(
      e,
      /^Plan: s3:GetObject on work staging\//,
      /^Plan: s3:DeleteObject on work staging\//,
      /^Plan: dynamodb:PutItem on exceptions/,
      /^Plan: dynamodb:DeleteItem on inventory \(P#/,
    );
    expectAllGranted(e);
  });

  it('covers the next Plan finding staged exceptions already gone (expired, or a publisher got that far)', async () => {
    const { e, batch } = await stagedBatch('iam-staged-gone');
    e.faults.crashAt('process.afterCommit');
    await expect(work(e, event('run-1', batch))).rejects.toBeInstanceOf(InjectedFaultError);
    // staging/ expires after 7 days; a worker that died between deleting the object and its record leaves the same.
    const [pending] = await e.deps.publishes.pendingPublishes('j');
    await e.deps.objects.delete(e.deps.buckets.work, pending?.key as string);
    await plan(e, { mode: 'incremental' }, 'run-2');
    expect(await e.deps.publishes.pendingPublishes('j')).toEqual([]);
    expectTaken(
      e,
      /^Plan: s3:ListBucket on work \(to read the missing key staging\//,
      /^Plan: dynamodb:DeleteItem on inventory \(P#/,
    );
    expectAllGranted(e);
  });

  it('covers a worker whose staged exceptions a concurrent Plan published between its commit and its publish', async () => {
    const { e, batch } = await stagedBatch('iam-staged-race');
    // Another run of the job plans right after this worker's commit: it publishes what the worker staged.
    const interleaved = e.with({
      faults: async (point) => {
        if (point === 'process.afterCommit') await plan(e, { mode: 'incremental' }, 'run-2');
      },
    });
    const out = await work(e, event('run-1', batch), interleaved);
    expect([out.outcome, out.itemsExcepted]).toEqual(['SUCCEEDED', 120]);
    expect((await e.deps.exceptions.counts('j')).OPEN).toBe(120);
    expectTaken(
      e,
      /^Plan: s3:DeleteObject on work staging\//,
      /^ProcessBatch: s3:ListBucket on work \(to read the missing key staging\//,
    );
    expectAllGranted(e);
  });

  it("covers a job over another job's outputs: the READY gate, the lock, and TriggerRuns starting it", async () => {
    const e = await recorded('iam-consumer');
    await seedJob(e.deps, { ids: 20, size: 10 });
    await createJob(e.deps, {
      jobId: 'c',
      datasetId: 'j.outputs',
      processor: { name: 'noop' },
      batching: { by: 'count', size: 10 },
      dependsOn: [{ jobId: 'j', trigger: true }],
    });
    for (const b of await manifestOf(e.deps, (await plan(e, { mode: 'incremental' }, 'run-1')).manifestKey))
      expect((await work(e, event('run-1', b))).outcome).toBe('SUCCEEDED');
    const started: string[] = [];
    const starter = {
      start: async (name: string) => {
        started.push(name);
        return 'started' as const;
      },
    };
    await e.rec.as('triggerRuns', () =>
      triggerOnEvents({ ...e.deps, starter }, [
        {
          eventId: 'x',
          type: 'RunFinished',
          jobId: 'j',
          runId: 'run-1',
          at: new Date().toISOString(),
          detail: {},
        },
      ]),
    );
    expect(started).toHaveLength(1);
    const planned = await e.rec.as('planRun', () =>
      planRun(e.deps, { jobId: 'c', mode: 'incremental' }, 'run-c'),
    );
    for (const b of await manifestOf(e.deps, planned.manifestKey)) {
      const out = await e.rec.as('processBatch', () =>
        processBatch(e.deps, { jobId: 'c', runId: 'run-c', mode: 'incremental', batch: b }, quietWorker('c')),
      );
      expect(out.outcome).toBe('SUCCEEDED');
    }
    expectTaken(
      e,
      /^ProcessBatch: s3:GetObject on work outputs\/j\//,
      /^ProcessBatch: dynamodb:UpdateItem on inventory/,
      /^TriggerRuns: dynamodb:Query on inventory/,
    );
    expectAllGranted(e);
  });

  it('covers a backfill splitting succeeded batches and moving their outputs into the parts', async () => {
    const e = await recorded('iam-split');
    await seedJob(e.deps, { ids: 60, size: 20 });
    for (const [runId, input] of [
      ['run-1', { mode: 'incremental' }],
      ['run-2', { mode: 'backfill', idStart: 5, idEnd: 34 }],
    ] as const) {
      for (const b of await manifestOf(e.deps, (await plan(e, input, runId)).manifestKey))
        expect((await work(e, event(runId, b, input.mode))).outcome).toBe('SUCCEEDED');
    }
    const batches = await collect(e.deps.batches.list('j', { kind: 'inventory' }));
    expect(batches.map((b) => [b.start, b.end])).toEqual([
      [1, 4],
      [5, 20],
      [21, 34],
      [35, 40],
      [41, 60],
    ]);
    expect(await e.deps.splits.pendingMoves('j')).toEqual([]);
    expectTaken(
      e,
      /^Plan: s3:GetObject on work outputs\/j\/0000000000000001-0000000000000020/,
      /^Plan: s3:PutObject on work outputs\/j\/0000000000000001-0000000000000004/,
      /^Plan: s3:DeleteObject on work outputs\/j\/0000000000000001-0000000000000020/,
      /^Plan: dynamodb:DeleteItem on inventory \(M#/,
    );
    expectAllGranted(e);
  });

  it('covers a worker whose commit is refused because its job was deleted, dropping what it wrote', async () => {
    const e = await recorded('iam-deleted-under', [gate.processor]);
    await seedJob(e.deps, { ids: 300, size: 300, processor: 'gated' });
    const [batch] = await manifestOf(e.deps, (await plan(e, { mode: 'incremental' }, 'run-1')).manifestKey);
    const inside = gate.entered();
    const working = work(e, event('run-1', batch as ManifestItem)).catch((err: unknown) => err);
    await inside;
    // The deletion is an operator's act: through clients of its own, which record nothing.
    const operator = makeDeps({
      clients: makeClients({
        endpoints: e.env.endpoints,
        credentials: LOCAL_CREDENTIALS,
        region: LOCAL_REGION,
      }),
      tables: e.env.tables,
      buckets: e.deps.buckets,
      processors: createRegistry([]),
      clock: e.clock,
    });
    expect((await deleteJob(operator, 'j', { force: true })).existed).toBe(true);
    gate.open();
    expect(await working).toBeInstanceOf(LeaseLostError);
    expect((await e.deps.objects.list(e.deps.buckets.work, 'outputs/j/')).items).toEqual([]);
    expectTaken(
      e,
      /^ProcessBatch: s3:DeleteObject on work outputs\/j\//,
      /^ProcessBatch: s3:DeleteObject on work staging\/j\//,
    );
    expectAllGranted(e);
  });

  it('covers RecordFailure after failed and silently dead workers, and Finalize of the run', async () => {
    const e = await recorded('iam-failure', [brokenPast10]);
    await seedJob(e.deps, { ids: 30, size: 10, processor: 'broken-past-10' });
    const manifest = await manifestOf(e.deps, (await plan(e, { mode: 'incremental' }, 'run-1')).manifestKey);
    const [ok, failing, dying] = manifest.map((b) => event('run-1', b));
    expect((await work(e, ok as ProcessBatchEvent)).outcome).toBe('SUCCEEDED');
    await expect(work(e, failing as ProcessBatchEvent)).rejects.toThrow('broken');
    // A worker killed without a word: the injected crash records nothing, RecordFailure does.
    e.faults.crashAt('process.afterAcquire');
    await expect(work(e, dying as ProcessBatchEvent)).rejects.toBeInstanceOf(InjectedFaultError);
    const error = { Error: 'Error', Cause: JSON.stringify({ errorMessage: 'broken' }) };
    const answers = [];
    for (const ev of [failing, dying])
      answers.push(
        await e.rec.as('recordFailure', () => recordFailure(e.deps, { ...(ev as ProcessBatchEvent), error })),
      );
    expect(answers.map((a) => a.recorded)).toEqual([false, true]);
    const fin = await e.rec.as('finalizeRun', () => finalizeRun(e.deps, { jobId: 'j', runId: 'run-1' }));
    expect([fin.status, fin.batchesSucceeded, fin.batchesFailed]).toEqual(['PARTIAL', 1, 2]);
    expectTaken(
      e,
      /^RecordFailure: dynamodb:PutItem on inventory \(A#/,
      /^Finalize: dynamodb:Query on inventory index byRun/,
    );
    expectAllGranted(e);
  });

  it('covers a sample run: its Plan and a worker writing under samples/', async () => {
    const e = await recorded('iam-sample');
    await seedJob(e.deps, { ids: 50, size: 5 });
    const manifest = await manifestOf(
      e.deps,
      (await plan(e, { mode: 'sample', every: 5 }, 'run-s')).manifestKey,
    );
    expect(manifest.map((b) => [b.scope, b.stride])).toEqual([
      ['sample', 5],
      ['sample', 5],
    ]);
    const out = await work(e, event('run-s', manifest[0] as ManifestItem, 'sample'));
    expect([out.outcome, out.itemsSucceeded]).toEqual(['SUCCEEDED', 5]);
    expectTaken(
      e,
      /^Plan: dynamodb:PutItem on inventory \(S#/,
      /^ProcessBatch: s3:PutObject on work samples\/j\/run-s\//,
    );
    expectAllGranted(e);
  });

  it('covers RegisterObjects registering landed objects, missing ones and a repeated event', async () => {
    const e = await recorded('iam-register');
    await e.deps.catalog.createDataset({ datasetId: 'landed' }, 'x');
    await e.deps.objects.put(e.env.dataBucket, 'datasets/landed/part 1.jsonl', '{"a":1}\n{"a":2}\n');
    await e.deps.objects.put(e.env.dataBucket, 'datasets/landed/scan.pdf', 'PDF');
    const bucket = e.env.dataBucket;
    // As the handler passes them: EventBridge may leave out the size, so the object's head is read.
    const landed = [
      { bucket, key: 'datasets/landed/part 1.jsonl', size: 16 },
      { bucket, key: 'datasets/landed/scan.pdf' },
      { bucket, key: 'datasets/landed/gone.jsonl' },
      { bucket, key: 'datasets/landed/gone.pdf' },
      { bucket, key: 'elsewhere/x.pdf', size: 3 },
    ];
    const first = await e.rec.as('registerObjects', () => registerObjects(e.deps, landed));
    expect([first.registered, first.items, first.skipped.length]).toEqual([2, 3, 3]);
    const again = await e.rec.as('registerObjects', () => registerObjects(e.deps, landed.slice(0, 2)));
    expect([again.registered, again.items]).toEqual([0, 0]);
    expectTaken(
      e,
      /^RegisterObjects: s3:GetObject on data datasets\/landed\/part 1\.jsonl/,
      /^RegisterObjects: s3:ListBucket on data \(to read the missing key datasets\/landed\/gone\.pdf/,
      /^RegisterObjects: dynamodb:PutItem on catalog \(L#/,
    );
    expectAllGranted(e);
  });

  it('covers Plan, ProcessBatch and Finalize putting events on the bus, and no other function', async () => {
    const e = await coreEnv('iam-events');
    const events = new EventBridgeClient({
      endpoint: inject('localEndpoints').moto,
      credentials: LOCAL_CREDENTIALS,
      region: LOCAL_REGION,
    });
    onTestFinished(() => events.destroy());
    const busName = `bk-events-${randomBytes(4).toString('hex')}`;
    await events.send(new CreateEventBusCommand({ Name: busName }));
    const rec = recordActions({ ...e.env, clients: { ...e.env.clients, events }, eventBus: busName });
    onTestFinished(() => rec.stop());
    const bus = new EventBridgeBus({ client: events, busName });
    const at = new Date().toISOString();
    const of = (type: JobEvent['type'], eventId: string): JobEvent => ({
      eventId,
      type,
      jobId: 'j',
      runId: 'run-1',
      at,
      detail: {},
    });
    // The adapter on moto, as each publishing function would call it: a commit, a run's end, a relay of both.
    await rec.as('processBatch', () => bus.publish([of('BatchCommitted', 'j/B#1#1')]));
    await rec.as('finalizeRun', () => bus.publish([of('RunFinished', 'j/run#run-1')]));
    await rec.as('planRun', () =>
      bus.publish([of('BatchCommitted', 'j/B#11#1'), of('RunFinished', 'j/run#0')]),
    );
    expect(rec.lines()).toEqual([
      'Finalize: events:PutEvents on bus',
      'Plan: events:PutEvents on bus',
      'ProcessBatch: events:PutEvents on bus',
    ]);
    expect(check.misses(rec.needed)).toEqual([]);
    // The check bites: the same action from a function that records no event is not granted.
    const others = (['recordFailure', 'registerObjects'] as const).map((fn) => ({
      fn,
      action: 'events:PutEvents',
      store: 'bus',
    }));
    expect(check.misses(others)).toEqual([
      'RecordFailure: events:PutEvents on bus',
      'RegisterObjects: events:PutEvents on bus',
    ]);
  });
});
