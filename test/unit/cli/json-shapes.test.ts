import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Command } from '../../../cli/commands/args.ts';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { batches, diagnose } from '../../../cli/commands/batches.ts';
import { exceptionsList, exceptionsShow } from '../../../cli/commands/exceptions.ts';
import { exceptionsSummary } from '../../../cli/commands/exceptions-export.ts';
import { exceptionsRequeue, exceptionsResolve } from '../../../cli/commands/exceptions-review.ts';
import { main } from '../../../cli/commands/main.ts';
import { run } from '../../../cli/commands/run.ts';
import { contextFor } from '../../../cli/commands/support.ts';
import { memoryIo } from '../../../cli/output.ts';
import type { Target } from '../../../cli/target.ts';
import { configHash } from '../../../core/jobs/config-hash.ts';
import type { Attempt, Batch, ItemException, Job, Run } from '../../../core/model.ts';
import { systemClock } from '../../../core/ports/index.ts';
import { defaultRegistry } from '../../../core/processors/builtin.ts';

/** The shapes docs/cli.md documents; strict, so that an undocumented field fails here first. */
const Answer = z.strictObject({ ok: z.boolean(), detail: z.string() }).nullable();
const ErrorDoc = z.strictObject({ name: z.string(), message: z.string() });
const Started = {
  jobId: z.string(),
  runId: z.string(),
  executionArn: z.string(),
  input: z.object({ jobId: z.string(), mode: z.string() }),
  startDate: z.iso.datetime(),
};
const SHAPES = {
  run: z.strictObject(Started),
  runWait: z.strictObject({
    ...Started,
    status: z.string(),
    runStatus: z.enum(['PLANNED', 'SUCCEEDED', 'PARTIAL', 'FAILED']).optional(),
    batches: z.strictObject({
      planned: z.number(),
      succeeded: z.number(),
      failed: z.number(),
      notDone: z.number(),
    }),
    items: z.strictObject({ succeeded: z.number(), excepted: z.number() }),
    durationMs: z.number(),
    error: ErrorDoc.optional(),
  }),
  diagnose: z.strictObject({
    jobId: z.string(),
    batch: z.object({ start: z.number(), end: z.number(), status: z.string() }),
    attempt: z.object({ attempt: z.number(), outcome: z.string() }).nullable(),
    preflight: z.strictObject({ ready: Answer, right: Answer, where: Answer, safe: Answer, valid: Answer }),
    error: ErrorDoc.nullable(),
  }),
  batches: z.strictObject({
    jobId: z.string(),
    effectiveConfigHash: z.string(),
    batches: z.array(
      z.object({ start: z.number(), end: z.number(), status: z.string(), drifted: z.boolean() }),
    ),
  }),
  exceptions: z.strictObject({
    jobId: z.string(),
    exceptions: z.array(z.object({ exceptionId: z.string(), status: z.string(), occurrences: z.number() })),
  }),
  exceptionShow: z.strictObject({
    exception: z.object({ exceptionId: z.string(), status: z.string() }),
    occurrences: z.array(
      z.strictObject({
        jobId: z.string(),
        itemId: z.number(),
        runId: z.string(),
        batchStart: z.number(),
        token: z.number(),
        kind: z.string(),
        details: z.record(z.string(), z.unknown()),
        at: z.string(),
      }),
    ),
  }),
  exceptionSummary: z.strictObject({
    jobId: z.string(),
    total: z.number(),
    byStatus: z.strictObject({
      OPEN: z.number(),
      RESOLVED: z.number(),
      REQUEUED: z.number(),
      SUPERSEDED: z.number(),
    }),
    byKind: z.record(z.string(), z.number()),
  }),
  exceptionResolve: z.strictObject({
    jobId: z.string(),
    reviewed: z.number(),
    byKind: z.record(z.string(), z.number()),
    alreadyReviewed: z.number(),
    exception: z.object({ exceptionId: z.string(), status: z.string() }).optional(),
  }),
  exceptionRequeue: z.strictObject({
    jobId: z.string(),
    datasetId: z.string(),
    requeued: z.number(),
    reviewed: z.number(),
    byKind: z.record(z.string(), z.number()),
    alreadyReviewed: z.number(),
  }),
  localDown: z.strictObject({
    pid: z.number().nullable(),
    wasRunning: z.boolean(),
    stopped: z.literal(true),
  }),
  error: z.strictObject({
    error: z.strictObject({
      name: z.string(),
      message: z.string(),
      exitCode: z.union([z.literal(1), z.literal(2)]),
      usage: z.string().optional(),
    }),
  }),
};

const config = { streetTypeStyle: 'full', uppercaseCity: false, requireHouseNumber: true };
const job: Job = {
  jobId: 'j1',
  datasetId: 'd1',
  processor: { name: 'normalize-address', version: '1' },
  config,
  configHash: configHash({ name: 'normalize-address', version: '1' }, config),
  batching: { by: 'count', size: 10 },
  maxConcurrency: 2,
  toleratedFailurePercentage: 100,
  leaseSeconds: 900,
  state: 'ACTIVE',
  watermark: 21,
  firstId: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const batch = (start: number, status: Batch['status'], hash?: string): Batch => ({
  jobId: 'j1',
  scope: { kind: 'inventory' },
  start,
  end: start + 9,
  stride: 1,
  count: 10,
  weight: 10,
  status,
  attempt: 1,
  token: 1,
  plannedAt: job.createdAt,
  configHash: hash,
});
const attempt: Attempt = {
  jobId: 'j1',
  scope: { kind: 'inventory' },
  start: 11,
  end: 20,
  attempt: 1,
  runId: 'r1',
  owner: 'r1/x',
  token: 1,
  startedAt: job.createdAt,
  endedAt: job.createdAt,
  outcome: 'FAILED',
  configHash: job.configHash,
  itemsSucceeded: 0,
  itemsExcepted: 0,
  durationMs: 12,
  error: { name: 'PreflightFailedError', message: 'preflight where failed' },
  diagnostics: { preflight: { ready: { ok: true, detail: '10/10' }, where: { ok: false, detail: 'gone' } } },
};
const runRecord: Run = {
  jobId: 'j1',
  runId: 'r1',
  mode: 'incremental',
  status: 'SUCCEEDED',
  plannedAt: job.createdAt,
  configHash: job.configHash,
  batchesPlanned: 2,
  itemsPlanned: 20,
  stats: {
    batchesSucceeded: 2,
    batchesFailed: 0,
    batchesNotDone: 0,
    itemsSucceeded: 19,
    itemsExcepted: 1,
    attempts: 2,
    wallMs: 40,
    states: {},
  },
};
const exception: ItemException = {
  jobId: 'j1',
  exceptionId: '0000000000000003',
  itemId: 3,
  runId: 'r1',
  batchStart: 1,
  kind: 'missing-postal-code',
  details: { reason: 'no postal code' },
  status: 'OPEN',
  createdAt: job.createdAt,
  lastSeenAt: job.createdAt,
  occurrences: 1,
  lastOccurrence: 'r1#1#1',
  requeues: 0,
};

async function* each<T>(items: T[]) {
  yield* items;
}

/** Only what the commands under test call: a fake of the ports and of the SFN client. */
function fakeTarget(): Target {
  let described = 0;
  const sfn = {
    send: async (command: unknown) => {
      if (command instanceof StartExecutionCommand)
        return { executionArn: 'arn:aws:states:us-east-1:0:execution:m:r1', startDate: new Date() };
      if (command instanceof DescribeExecutionCommand)
        return {
          status: described++ === 0 ? 'RUNNING' : 'SUCCEEDED',
          startDate: new Date(0),
          stopDate: new Date(40),
        };
      throw new Error('unexpected command');
    },
  };
  const jobs = { getJob: async () => job };
  const runs = { getRun: async () => runRecord };
  const attempts = {
    runAttempts: () => each([{ ...attempt, outcome: 'SUCCEEDED' }]),
    list: () => each([attempt]),
  };
  const batches = {
    getBatch: async (_j: string, _s: unknown, start: number) =>
      start === 11 ? batch(11, 'FAILED') : undefined,
    batchContaining: async () => undefined,
    list: () => each([batch(1, 'SUCCEEDED', 'old-hash'), batch(11, 'FAILED')]),
  };
  const cuts = { pendingCuts: () => each([]) };
  let current = exception;
  const exceptions = {
    list: async () => ({ items: [current] }),
    get: async () => current,
    occurrences: async () => [
      {
        jobId: 'j1',
        itemId: 3,
        runId: 'r1',
        batchStart: 1,
        token: 1,
        kind: current.kind,
        details: {},
        at: job.createdAt,
      },
    ],
    decide: async (_j: string, decisions: { to: 'RESOLVED'; note: string }[]) => {
      current = { ...current, status: 'RESOLVED', note: decisions[0]?.note };
      return { moved: [current.exceptionId], taken: [] };
    },
  };
  // No object of the data set was ever accepted: no batch is stale.
  const catalog = { getDataset: async () => ({ datasetId: 'ds', highId: 20, createdAt: job.createdAt }) };
  const deps = {
    jobs,
    catalog,
    runs,
    attempts,
    batches,
    cuts,
    exceptions,
    processors: defaultRegistry,
    clock: systemClock,
    faults: async () => undefined,
  };
  return {
    kind: 'local',
    region: 'us-east-1',
    clients: { sfn },
    deps,
    stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:m',
  } as unknown as Target;
}

async function jsonOf(command: Command, argv: string[]): Promise<unknown> {
  const args = validateArgs(command, readArgs(command, argv));
  const result = await command.run(args, contextFor(fakeTarget(), memoryIo(), true));
  return JSON.parse(JSON.stringify(result.json));
}

describe('--json shapes (docs/cli.md)', () => {
  it('run: the started execution', async () => {
    SHAPES.run.parse(await jsonOf(run, ['j1']));
  });

  it('run --wait: the outcome with batches, items and duration', async () => {
    const doc = SHAPES.runWait.parse(await jsonOf(run, ['j1', '--wait']));
    expect(doc).toMatchObject({
      status: 'SUCCEEDED',
      batches: { planned: 2, succeeded: 2 },
      items: { succeeded: 19, excepted: 1 },
      durationMs: 40,
    });
  });

  it('diagnose: five answers, null where not answered, and the error', async () => {
    const doc = SHAPES.diagnose.parse(await jsonOf(diagnose, ['j1', '11']));
    expect(doc.preflight.where).toEqual({ ok: false, detail: 'gone' });
    expect(doc.preflight.valid).toBeNull();
    expect(doc.error?.name).toBe('PreflightFailedError');
  });

  it('batches: each batch says whether it drifted', async () => {
    const doc = SHAPES.batches.parse(await jsonOf(batches, ['j1']));
    expect(doc.batches.map((b) => b.drifted)).toEqual([true, false]);
  });

  it('exceptions list', async () => {
    SHAPES.exceptions.parse(await jsonOf(exceptionsList, ['j1']));
  });

  it('exceptions show: the record and its occurrences', async () => {
    const doc = SHAPES.exceptionShow.parse(await jsonOf(exceptionsShow, ['j1', '3']));
    expect(doc.occurrences).toHaveLength(1);
  });

  it('exceptions summary: counts by status (every status) and by kind', async () => {
    const doc = SHAPES.exceptionSummary.parse(await jsonOf(exceptionsSummary, ['j1']));
    expect(doc).toMatchObject({ total: 1, byStatus: { OPEN: 1 }, byKind: { 'missing-postal-code': 1 } });
  });

  it('exceptions resolve: the counts, and the exception when one is named', async () => {
    const one = SHAPES.exceptionResolve.parse(await jsonOf(exceptionsResolve, ['j1', '3', '--note', 'n']));
    expect(one).toMatchObject({ reviewed: 1, alreadyReviewed: 0, exception: { status: 'RESOLVED' } });
    const bulk = SHAPES.exceptionResolve.parse(
      await jsonOf(exceptionsResolve, ['j1', '--kind', 'missing-postal-code', '--note', 'n']),
    );
    expect(bulk).toEqual({
      jobId: 'j1',
      reviewed: 1,
      byKind: { 'missing-postal-code': 1 },
      alreadyReviewed: 0,
    });
  });

  it('exceptions requeue: the counts and the data set', async () => {
    const doc = SHAPES.exceptionRequeue.parse(await jsonOf(exceptionsRequeue, ['j1', '--kind', 'none']));
    expect(doc).toMatchObject({ requeued: 0, datasetId: 'j1.exceptions' });
  });

  it('local down when nothing runs', async () => {
    const io = memoryIo();
    const code = await main(
      ['local', 'down', '--data-dir', mkdtempSync(join(tmpdir(), 'bk-down-')), '--json'],
      io,
    );
    expect(code).toBe(0);
    expect(SHAPES.localDown.parse(JSON.parse(io.stdout))).toEqual({
      pid: null,
      wasRunning: false,
      stopped: true,
    });
  });

  it('a typed error: one JSON line on stderr, exit code 1, nothing on stdout', async () => {
    const io = memoryIo();
    const code = await main(
      ['jobs', 'list', '--local', '--data-dir', mkdtempSync(join(tmpdir(), 'bk-none-')), '--json'],
      io,
    );
    expect(code).toBe(1);
    expect(io.stdout).toBe('');
    const doc = SHAPES.error.parse(JSON.parse(io.stderr));
    expect(doc.error).toMatchObject({ name: 'LocalServiceError', exitCode: 1 });
  });

  it('keeps the requeue command to its documented flags', () => {
    expect(Object.keys(exceptionsRequeue.flags)).toEqual(['id', 'kind', 'run', 'from', 'to', 'all']);
  });
});
