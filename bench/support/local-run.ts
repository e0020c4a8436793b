import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type LocalMode, startLocal } from '../../cli/local/local-up.ts';
import { registerObjects } from '../../core/catalog/register-objects.ts';
import { datasetKeyOf } from '../../core/contracts/s3-keys.ts';
import { RequestLog } from './request-log.ts';
import { WriteUnits } from './write-units.ts';

/** The local mode for one benchmark, with every DynamoDB and S3 request of the handlers and the engine logged. */
export interface BenchLocal {
  readonly mode: LocalMode;
  readonly sfn: SFNClient;
  readonly log: RequestLog;
  stop(): Promise<void>;
}

/**
 * Start the local mode (no data directory, no state file, handlers' logs off). The handlers and the Step
 * Functions engine use `mode.clients` (local-up builds deps from them), so the log sees exactly their requests.
 * With `units`, the log also adds up capacity units (which costs extra reads around every write: not for timing).
 */
export async function startBenchLocal(options: { units?: boolean } = {}): Promise<BenchLocal> {
  const mode = await startLocal({ stateFile: false, logLevel: 'SILENT' });
  const { tables, buckets, endpoints, region, credentials } = mode.state;
  const raw = new DynamoDBClient({ endpoint: endpoints.dynamodb, region, credentials });
  const units = options.units ? { capacity: true, writeUnits: new WriteUnits(raw, tables) } : {};
  const log = new RequestLog({ tables: { ...tables }, dataBucket: buckets.data }, units);
  log.attach(mode.clients.ddb, 'ddb').attach(mode.clients.s3, 's3');
  const sfn = new SFNClient({ endpoint: endpoints.sfn, region, credentials });
  return { mode, sfn, log, stop: () => mode.stop() };
}

/** Record `i` (1-based id) of a data set: a small JSON object whose length varies a little, as real rows do. */
export const benchRecord = (i: number) => JSON.stringify({ id: i, name: `item-${i}`, score: i % 97 });

/** Object `k` of a data set seeded by seedJsonl. */
export const partKeyOf = (datasetId: string, k: number): string =>
  datasetKeyOf(datasetId, `part-${String(k).padStart(6, '0')}.jsonl`);

/**
 * Put `objects` JSON Lines objects of `perObject` records under `datasets/<id>/` of the data bucket and register
 * them (ids 1..objects*perObject in order, so object k holds exactly batch k when batches are `perObject` long).
 */
export async function seedJsonl(
  mode: LocalMode,
  datasetId: string,
  objects: number,
  perObject: number,
): Promise<void> {
  const bucket = mode.state.buckets.data;
  const at = new Date().toISOString();
  if (!(await mode.deps.catalog.getDataset(datasetId)))
    await mode.deps.catalog.createDataset({ datasetId }, at);
  const keyOf = (k: number) => partKeyOf(datasetId, k);
  await inParallel(objects, 8, async (k) => {
    const first = k * perObject + 1;
    const lines = Array.from({ length: perObject }, (_, n) => benchRecord(first + n));
    await mode.deps.objects.put(bucket, keyOf(k), `${lines.join('\n')}\n`, 'application/x-ndjson');
  });
  // Registration hands out ids in the order given: one call per chunk of objects keeps the order.
  for (let k = 0; k < objects; k += 100) {
    const chunk = Array.from({ length: Math.min(100, objects - k) }, (_, n) => ({
      bucket,
      key: keyOf(k + n),
    }));
    await registerObjects(mode.deps, chunk, datasetId);
  }
}

/** Run `work(0..count-1)`, at most `concurrency` at once. */
export async function inParallel(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export interface Execution {
  readonly arn: string;
  readonly status: string;
  readonly output: unknown;
  readonly wallMs: number;
}

/**
 * How often runExecution asks whether the execution ended. Each DescribeExecution costs the local endpoint, which
 * runs in this process beside the engine, about 1 ms of CPU (client and server), so asking every few
 * milliseconds would add the asking to the run being measured; the end time comes from the execution itself.
 */
const POLL_MS = 250;

/**
 * StartExecution through the local endpoint and poll DescribeExecution until it ends. The wall time runs from
 * just before StartExecution to the execution's own stopDate, so the poll interval does not add to it.
 */
export async function runExecution(
  local: BenchLocal,
  input: Record<string, unknown>,
  timeoutMs = 900_000,
): Promise<Execution> {
  const began = Date.now();
  const started = await local.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.mode.state.stateMachineArn,
      input: JSON.stringify(input),
    }),
  );
  const arn = started.executionArn as string;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const out = await local.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    if (out.status !== 'RUNNING') {
      const wallMs = (out.stopDate?.getTime() ?? Date.now()) - began;
      return { arn, status: out.status ?? '?', output: JSON.parse(out.output ?? 'null'), wallMs };
    }
    if (Date.now() - began > timeoutMs) throw new Error(`${arn} still RUNNING after ${timeoutMs} ms`);
  }
}

/** Every history event of an execution. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** What Step Functions bills for one run, read off its history. */
export interface RunShape {
  /** States entered by the Standard parent (each a billed transition). */
  readonly parentTransitions: number;
  /** Child executions the Distributed Map started (one billed parent transition each, one Express request each). */
  readonly children: number;
  /** States entered inside the children (Express: billed by duration, not per transition). */
  readonly childTransitions: number;
  /** Per child: from MapIterationStarted to its end. */
  readonly childMs: number[];
  /** Per parent Task state: time from entered to exited, e.g. Plan and Finalize. */
  readonly taskMs: Record<string, number>;
}

const CHILD_STATES = childStateNames();

function childStateNames(): Set<string> {
  const asl = JSON.parse(
    readFileSync(new URL('../../statemachines/run-job.asl.json', import.meta.url), 'utf8'),
  );
  const map = asl.States.ProcessBatches as { ItemProcessor: { States: Record<string, unknown> } };
  return new Set(Object.keys(map.ItemProcessor.States));
}

export function shapeOf(events: readonly HistoryEvent[]): RunShape {
  const entered = events.filter((e) => e.type?.endsWith('StateEntered'));
  const name = (e: HistoryEvent) => e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? '';
  const started = new Map<number, number>();
  const childMs: number[] = [];
  const taskMs: Record<string, number> = {};
  for (const e of events) {
    const at = e.timestamp instanceof Date ? e.timestamp.getTime() : 0;
    const index = e.mapIterationStartedEventDetails?.index;
    if (e.type === 'MapIterationStarted' && index !== undefined) started.set(index, at);
    const ended = e.mapIterationSucceededEventDetails?.index;
    if (ended !== undefined && started.has(ended)) childMs.push(at - (started.get(ended) as number));
    if (e.type === 'TaskStateEntered' && !CHILD_STATES.has(name(e))) taskMs[name(e)] = -at;
    if (e.type === 'TaskStateExited' && taskMs[name(e)] !== undefined)
      taskMs[name(e)] = (taskMs[name(e)] as number) + at;
  }
  return {
    parentTransitions: entered.filter((e) => !CHILD_STATES.has(name(e))).length,
    children: events.filter((e) => e.type === 'MapIterationStarted').length,
    childTransitions: entered.filter((e) => CHILD_STATES.has(name(e))).length,
    childMs,
    taskMs,
  };
}
