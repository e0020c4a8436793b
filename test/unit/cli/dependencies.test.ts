import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Command, readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { batches } from '../../../cli/commands/batches.ts';
import { DependsOnFlag } from '../../../cli/commands/dependency-flags.ts';
import { graph } from '../../../cli/commands/graph.ts';
import { jobsCreate, jobsShow } from '../../../cli/commands/jobs.ts';
import { main } from '../../../cli/commands/main.ts';
import { contextFor } from '../../../cli/commands/support.ts';
import { triggersReconcile } from '../../../cli/commands/triggers.ts';
import { memoryIo } from '../../../cli/output.ts';
import type { Target } from '../../../cli/target.ts';
import { ValidationError } from '../../../core/errors.ts';
import type { RunInput } from '../../../core/events.ts';
import { updateJobConfig } from '../../../core/jobs/jobs.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { finalizeRun } from '../../../core/runs/finalize-run.ts';
import { type FakeDeps, fakeDeps } from '../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../support/seed-data.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const create = ['jobs', 'create', 'b', '--dataset', 'ds', '--processor', 'noop'];

describe('--depends-on, graph and triggers reconcile: usage errors', () => {
  it.each([
    [[...create, '--depends-on', 'a:trg'], '--depends-on: must be JOB or JOB:trigger, not "a:trg"'],
    [[...create, '--depends-on', 'bad id!'], '--depends-on: "bad id!": the job id must be 1-128 characters'],
    [
      [...create, '--depends-on', ':trigger'],
      '--depends-on: ":trigger": the job id must be 1-128 characters',
    ],
    [
      [...create, '--depends-on', 'a', '--depends-on', 'a:trigger'],
      '--depends-on: names job a more than once',
    ],
    [
      [...create, ...['a', 'b', 'c', 'd', 'e', 'f'].flatMap((j) => ['--depends-on', j])],
      '--depends-on: must name at most 5 jobs',
    ],
    [[...create, '--depends-on'], '--depends-on: needs a value'],
    [['graph', '--format', 'svg'], '--format: must be one of text, mermaid'],
    [['graph', 'a'], 'unexpected argument "a"'],
    [['triggers'], '"triggers" needs a subcommand'],
    [['triggers', 'reconcile', 'now'], 'unexpected argument "now"'],
  ])('%j: exit 2, naming the flag and the rule', async (argv, message) => {
    const { code, stderr, stdout } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('reads each --depends-on as a job, with :trigger when its commits start this one', () => {
    expect(DependsOnFlag.parse(['a', 'b.x_1:trigger'])).toEqual([
      { jobId: 'a', trigger: false },
      { jobId: 'b.x_1', trigger: true },
    ]);
    expect(validateArgs(graph, readArgs(graph, ['--format', 'MERMAID']))).toMatchObject({
      format: 'mermaid',
    });
  });
});

/** A target over the fakes: the core as it is, and an SFN client that records the executions started. */
function fakeTarget(deps: FakeDeps) {
  const started: { name?: string; input?: string }[] = [];
  const sfn = {
    send: async (command: unknown) => {
      if (command instanceof StartExecutionCommand) {
        started.push({ name: command.input.name, input: command.input.input });
        return { executionArn: `arn:aws:states:us-east-1:0:execution:m:${command.input.name}` };
      }
      // DescribeExecution: no execution runs.
      throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
    },
  };
  const target = {
    kind: 'local',
    region: 'us-east-1',
    clients: { sfn },
    deps,
    stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:m',
  } as unknown as Target;
  return { target, started };
}

async function runCommand(target: Target, command: Command, argv: string[]) {
  const args = validateArgs(command, readArgs(command, argv));
  const result = await command.run(args, contextFor(target, memoryIo(), true));
  return { json: JSON.parse(JSON.stringify(result.json)), text: result.text };
}

let runs = 0;
async function run(deps: FakeDeps, input: RunInput): Promise<void> {
  deps.clock.advance(1_000);
  const runId = `run-${++runs}`;
  const plan = await planRun(deps, input, runId);
  for (const batch of await manifestOf(deps, plan.manifestKey))
    await processBatch(deps, { jobId: input.jobId, runId, mode: input.mode, batch }, quietWorker(runId));
  await finalizeRun(deps, { jobId: input.jobId, runId });
}

/** ds: 100 ids; a over it, batches of 10; b over a's outputs, c over ds waiting on a with a trigger. */
async function chain() {
  const deps = fakeDeps();
  await seedDataset(deps, 'ds', 100, { chunk: 50 });
  const { target, started } = fakeTarget(deps);
  const job = (...argv: string[]) =>
    runCommand(target, jobsCreate, [...argv, '--processor', 'noop', '--batch-size', '10']);
  await job('a', '--dataset', 'ds');
  await job('b', '--dataset', 'a.outputs');
  const c = await job('c', '--dataset', 'ds', '--depends-on', 'a:trigger');
  return { deps, target, started, c };
}

describe('jobs, batches, graph and triggers reconcile over producers', () => {
  it('creates a job that depends on another, and shows producers and dependents', async () => {
    const { target, c } = await chain();
    expect(c.json.job.dependsOn).toEqual([{ jobId: 'a', trigger: true }]);
    expect(c.text).toMatch(/depends on\s+a \(trigger\)/);
    const a = await runCommand(target, jobsShow, ['a']);
    expect(a.json).toMatchObject({ producers: [] });
    expect(a.json.dependents).toEqual([
      { jobId: 'b', trigger: false },
      { jobId: 'c', trigger: true },
    ]);
    expect(a.text).toMatch(/dependents\s+b, c \(trigger\)/);
    const b = await runCommand(target, jobsShow, ['b']);
    expect(b.json).toMatchObject({ producers: [{ jobId: 'a', trigger: false }], dependents: [] });
  });

  it("names the flag when the core refuses a producer: missing, or another job's missing outputs", async () => {
    const { target } = await chain();
    const refusal = async (...argv: string[]) => {
      const e = await runCommand(target, jobsCreate, ['x', ...argv, '--processor', 'noop']).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).violations.map((v) => `${v.field}: ${v.rule}`);
    };
    expect(await refusal('--dataset', 'ds', '--depends-on', 'zz')).toEqual([
      '--depends-on: must name an existing job (zz)',
    ]);
    expect(await refusal('--dataset', 'zz.outputs')).toEqual([
      '--dataset: names the outputs of job zz, which does not exist',
    ]);
    expect(await target.deps.jobs.getJob('x')).toBeUndefined();
  });

  it('graph: producers first with backlogs, as a table and as a Mermaid flowchart', async () => {
    const { deps, target } = await chain();
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 40 });
    const text = await runCommand(target, graph, []);
    expect(text.json.edges).toEqual([
      { from: 'a', to: 'b', trigger: false },
      { from: 'a', to: 'c', trigger: true },
    ]);
    const lines = text.text.split('\n');
    expect(lines[0]).toBe('3 job(s), 2 dependencies');
    expect(lines[1]).toMatch(
      /^job\s+data set\s+waits on\s+backlog\s+waiting\s+open\s+stale\s+reopened\s+state$/,
    );
    expect(lines[2]).toMatch(/^a\s+ds\s+-\s+60\s+0\s+0\s+0\s+0\s+ACTIVE$/);
    expect(lines[3]).toMatch(/^b\s+a\.outputs\s+a\s+40\s+0\s+0\s+0\s+0\s+ACTIVE$/);
    expect(lines[4]).toMatch(/^c\s+ds\s+a \(trigger\)\s+40\s+60\s+0\s+0\s+0\s+ACTIVE$/);

    const mermaid = await runCommand(target, graph, ['--format', 'mermaid']);
    expect(mermaid.text.split('\n')).toEqual([
      '```mermaid',
      'flowchart LR',
      '  j0["a<br/>backlog 60<br/>open 0, stale 0"]',
      '  j1["b<br/>backlog 40<br/>open 0, stale 0"]',
      '  j2["c<br/>backlog 40 (+60 waiting)<br/>open 0, stale 0"]',
      '  j0 --> j1',
      '  j0 -->|trigger| j2',
      '```',
      '',
    ]);
    expect(mermaid.json.mermaid).toContain('flowchart LR\n');
  });

  it('batches --stale: the batches whose producers redid their range, what changed, and the run that redoes them', async () => {
    const { deps, target } = await chain();
    await run(deps, { jobId: 'a', mode: 'incremental' });
    await run(deps, { jobId: 'b', mode: 'incremental' });
    expect((await runCommand(target, batches, ['b', '--stale'])).json.batches).toEqual([]);
    await updateJobConfig(deps, 'a', { note: 'changed' });
    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 31, idEnd: 50 });
    await run(deps, { jobId: 'b', mode: 'incremental', maxBatches: 1 });

    const listed = await runCommand(target, batches, ['b', '--stale']);
    const rows = listed.json.batches.map((b: Record<string, unknown>) => [b.start, b.status, b.stale]);
    // The plan reopened both and redid one (31-40); 41-50 waits for the next run, reopened.
    expect(rows).toEqual([[41, 'PENDING', true]]);
    expect(listed.json.batches[0].producersChanged).toEqual({
      kind: 'reopened',
      changed: expect.stringMatching(/^a 41-50 \(/),
    });
    expect(listed.text).toContain('  41..50  PENDING, reopened  changed: a 41-50 (');
    expect(listed.text).toContain('stale: redo with  batchkeeper run b  (an incremental run');
    // Every listing says which batches are stale, and why.
    const all = (await runCommand(target, batches, ['b'])).json.batches;
    expect(all.filter((b: { stale: boolean }) => b.stale).map((b: { start: number }) => b.start)).toEqual([
      41,
    ]);

    await run(deps, { jobId: 'b', mode: 'incremental' });
    const after = await runCommand(target, batches, ['b', '--stale']);
    expect(after.json.batches).toEqual([]);
    expect(after.text).not.toContain('stale: redo');
  });

  it('triggers reconcile: starts a run of a triggered job with READY work, under the trigger window name', async () => {
    const { deps, target, started } = await chain();
    const none = await runCommand(target, triggersReconcile, []);
    expect(none.json.outcomes).toEqual([{ jobId: 'c', outcome: 'nothing to do' }]);
    expect(started).toEqual([]);

    await run(deps, { jobId: 'a', mode: 'backfill', idStart: 1, idEnd: 20 });
    const once = await runCommand(target, triggersReconcile, []);
    expect(once.json.outcomes).toEqual([
      { jobId: 'c', outcome: 'started', runId: expect.stringMatching(/^trig-c-\d+$/) },
    ]);
    expect(started).toEqual([
      { name: once.json.outcomes[0].runId, input: JSON.stringify({ jobId: 'c', mode: 'incremental' }) },
    ]);
    expect(once.text).toMatch(/^1 triggered job\(s\), 1 run\(s\) started\n/);
    expect(once.text).toContain(`watch with  batchkeeper runs show c ${once.json.outcomes[0].runId}`);
  });
});

/** The shapes docs/cli.md documents for these commands; strict, so that an undocumented field fails here. */
const Dependency = z.strictObject({ jobId: z.string(), trigger: z.boolean() });
const Figure = z.number().nullable();
const GraphDoc = z.strictObject({
  jobs: z.array(
    z.strictObject({
      jobId: z.string(),
      state: z.enum(['ACTIVE', 'DELETING', 'MISSING']),
      datasetId: z.string().nullable(),
      watermark: Figure,
      producers: z.array(Dependency),
      backlog: Figure,
      waiting: Figure,
      openBatches: Figure,
      staleBatches: Figure,
      reopenedBatches: Figure,
    }),
  ),
  edges: z.array(z.strictObject({ from: z.string(), to: z.string(), trigger: z.boolean() })),
  mermaid: z.string().optional(),
});
const ReconcileDoc = z.strictObject({
  outcomes: z.array(
    z.strictObject({
      jobId: z.string(),
      outcome: z.enum(['started', 'exists', 'running', 'nothing to do']),
      runId: z.string().optional(),
    }),
  ),
});

describe('--json shapes of graph, triggers reconcile and jobs show (docs/cli.md)', () => {
  it('documents every field', async () => {
    const { target } = await chain();
    GraphDoc.parse((await runCommand(target, graph, [])).json);
    GraphDoc.parse((await runCommand(target, graph, ['--format', 'mermaid'])).json);
    ReconcileDoc.parse((await runCommand(target, triggersReconcile, [])).json);
    const shown = (await runCommand(target, jobsShow, ['c'])).json;
    z.array(Dependency).parse(shown.producers);
    z.array(Dependency).parse(shown.dependents);
  });
});
