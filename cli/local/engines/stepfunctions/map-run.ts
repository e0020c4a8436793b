import { randomUUID } from 'node:crypto';
import type { LocalMap } from './asl-local.ts';
import { abortedError, afterQueuedEvents, evaluate, stateError } from './interpreter.ts';
import type { Json } from './json.ts';
import { readItems, readSettings } from './map-items.ts';
import { writeMapResults } from './map-results.ts';
import type { ChildResult, ChildRun, MapRunIds, MapScope, MapSettings } from './map-types.ts';
import { newLane } from './sfn-history.ts';

/**
 * The local Map runner: what the interpreter does not do for a Map state (ItemReader, ResultWriter, paths for
 * MaxConcurrency and tolerated failures), done with AWS semantics: iterations run as separate child runs, a
 * failed child does not stop its siblings unless the tolerated failures are exceeded, and then the Map fails
 * with States.ExceedToleratedFailureThreshold (a Distributed Map) or the child's own error (an inline one).
 */

/** Run one Map state over its items; resolves with the Map's result (before ResultSelector and ResultPath). */
export async function runMap(map: LocalMap, input: Json, scope: MapScope): Promise<Json> {
  await afterQueuedEvents();
  if (scope.signal.aborted) throw abortedError();
  const settings = await readSettings(map.state, input, scope);
  const items = await readItems(map, input, scope);
  const run = mapRunIds(map, scope);
  scope.history.append(scope.lane, 'MapStateStarted', { length: items.length });
  if (map.distributed) scope.history.append(scope.lane, 'MapRunStarted', { mapRunArn: run.arn });
  try {
    const results = await runItems(map, items, input, settings, run, scope);
    if (map.distributed) scope.history.append(scope.lane, 'MapRunSucceeded');
    if (map.state.ResultWriter !== undefined) return await writeMapResults(map, results, run, input, scope);
    return results.map((r) => (r.outcome.status === 'SUCCEEDED' ? r.outcome.output : null));
  } catch (error) {
    const { name, message } = error as Error;
    if (map.distributed && !scope.signal.aborted)
      scope.history.append(scope.lane, 'MapRunFailed', { error: name, cause: message });
    throw error;
  }
}

function mapRunIds(map: LocalMap, scope: MapScope): MapRunIds {
  const id = randomUUID();
  const label = typeof map.state.Label === 'string' ? map.state.Label : map.name;
  const base = `arn:aws:states:${scope.region}:${scope.account}`;
  const kind = map.executionType === 'EXPRESS' ? 'express' : 'execution';
  return {
    id,
    arn: `${base}:mapRun:${scope.stateMachineName}/${label}:${id}`,
    childPrefix: `${base}:${kind}:${scope.stateMachineName}/${label}:`,
  };
}

async function runItems(
  map: LocalMap,
  items: Json[],
  input: Json,
  settings: MapSettings,
  run: MapRunIds,
  scope: MapScope,
): Promise<ChildResult[]> {
  const results: ChildResult[] = [];
  const running = new Set<ChildRun>();
  let failed = 0;
  let failure: Error | undefined;
  const stop = (error: Error) => {
    failure ??= error;
    for (const child of running) child.abort();
  };
  const onAbort = () => stop(abortedError());
  scope.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await inPool(
      items.length,
      settings.concurrency,
      () => failure !== undefined,
      async (index) => {
        // An ItemSelector that does not evaluate fails the Map, as it would on AWS.
        const pool = { running, stopping: () => failure !== undefined };
        const result = await runItem(map, items[index] as Json, index, input, run, scope, pool).catch(stop);
        if (!result) return;
        results[index] = result;
        if (
          result.outcome.status === 'FAILED' &&
          exceeds(++failed, items.length, settings, map.distributed)
        ) {
          stop(mapFailure(map, result.outcome, failed, items.length));
        }
      },
    );
  } finally {
    scope.signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  return results;
}

/** Run `work(0..count-1)` with at most `concurrency` at once, starting no more once `stopped()` says so. */
async function inPool(
  count: number,
  concurrency: number,
  stopped: () => boolean,
  work: (index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (!stopped() && next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A Distributed Map fails with the threshold error; an inline one with its failed iteration's error. */
function mapFailure(
  map: LocalMap,
  outcome: { error: string; cause: string },
  failed: number,
  total: number,
): Error {
  if (!map.distributed) return stateError(outcome.error, outcome.cause);
  return stateError(
    'States.ExceedToleratedFailureThreshold',
    `The specified tolerated failure threshold was exceeded (${failed} of ${total} items failed).`,
  );
}

function exceeds(failed: number, total: number, settings: MapSettings, distributed: boolean): boolean {
  const { toleratedCount: count, toleratedPercentage: percentage } = settings;
  if (!distributed || (count === undefined && percentage === undefined)) return failed > 0;
  return (
    (count !== undefined && failed > count) || (percentage !== undefined && failed * 100 > percentage * total)
  );
}

async function runItem(
  map: LocalMap,
  item: Json,
  index: number,
  input: Json,
  run: MapRunIds,
  scope: MapScope,
  pool: { running: Set<ChildRun>; stopping(): boolean },
): Promise<ChildResult> {
  const startDate = Date.now();
  const itemContext = { ...scope.context, Map: { Item: { Index: index, Value: item } } };
  const selector = (map.state.ItemSelector ?? map.state.Parameters) as Json | undefined;
  const childInput = selector === undefined ? item : await evaluate(selector, input, itemContext);
  const name = `${run.id.slice(0, 8)}-${index}`;
  const arn = `${run.childPrefix}${run.id}:${name}`;
  const lane = newLane(scope.lane);
  scope.history.append(lane, 'MapIterationStarted', { name: map.name, index });
  // A Distributed Map's child is an execution of its own; an inline iteration shares its parent's context.
  const context = map.distributed
    ? {
        Execution: { Id: arn, Name: name },
        StateMachine: { Id: `${run.childPrefix}${run.id}`, Name: map.name },
      }
    : scope.context;
  const child = scope.runChild(map.processor, childInput, { lane, context });
  pool.running.add(child);
  // The Map may have failed while this item's input was evaluated: the child then stops at once.
  if (pool.stopping()) child.abort();
  const outcome = await child.outcome.finally(() => pool.running.delete(child));
  const ended =
    outcome.status === 'SUCCEEDED'
      ? 'MapIterationSucceeded'
      : outcome.status === 'FAILED'
        ? 'MapIterationFailed'
        : 'MapIterationAborted';
  scope.history.append(lane, ended, { name: map.name, index });
  return { index, name, arn, input: childInput, outcome, startDate, stopDate: Date.now() };
}
