import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { makeClients } from '../../core/adapters/clients.ts';
import { busNameFromEnv, EventBridgeBus } from '../../core/adapters/eventbridge-bus.ts';
import { makeDeps, namesFromEnv } from '../../core/adapters/make-deps.ts';
import { SfnRunLiveness } from '../../core/adapters/sfn-run-liveness.ts';
import { SfnRunStarter } from '../../core/adapters/sfn-run-starter.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../core/contracts/metrics.ts';
import { ENV } from '../../core/contracts/tables.ts';
import type { Deps } from '../../core/deps.ts';
import { defaultRegistry } from '../../core/processors/builtin.ts';
import type { ProcessorRegistry } from '../../core/processors/registry.ts';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
});

let cached: Deps | undefined;
let processors: ProcessorRegistry = defaultRegistry;

/**
 * The processors the handlers run: a deployment's ProcessBatch bundle calls this with the user's module at
 * load time, before any invocation (infra/processor-bundle.ts writes that entry). @default the built-ins
 */
export function useProcessors(registry: ProcessorRegistry): void {
  processors = registry;
  cached = undefined;
}

/**
 * The core's dependencies, built once per container. The local mode injects its own (same adapters, local
 * endpoints) through `useDeps` before it invokes a handler.
 */
export function deps(): Deps {
  if (!cached) {
    const clients = makeClients();
    const stateMachineArn = process.env[ENV.stateMachineArn];
    const busName = busNameFromEnv();
    cached = makeDeps({
      clients,
      ...namesFromEnv(),
      processors,
      liveness: stateMachineArn ? new SfnRunLiveness({ sfn: clients.sfn, stateMachineArn }) : undefined,
      // Only TriggerRuns is granted StartExecution; the others never start runs.
      starter: stateMachineArn ? new SfnRunStarter({ sfn: clients.sfn, stateMachineArn }) : undefined,
      // Only the functions that publish events have a bus (Plan, ProcessBatch, Finalize).
      bus: busName ? new EventBridgeBus({ client: new EventBridgeClient({}), busName }) : undefined,
    });
  }
  return cached;
}

export function useDeps(d: Deps | undefined): void {
  cached = d;
}

/** What a handler is given of its invocation. */
export type Invocation = Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>;

/**
 * Cross-cutting concerns of every handler: structured logs with the Lambda context, metrics flushed at the
 * end. Each invocation logs through a logger of its own (a child of `logger`): the local mode runs invocations
 * side by side in one process, where keys appended to one shared logger would land on each other's lines.
 * Errors keep their name: it is what the state machine's Retry and Catch match on.
 */
export function handle<E, R>(
  fn: (event: E, context: Invocation, log: Logger) => Promise<R>,
  options: { metrics?: boolean } = {},
) {
  const h = middy(async (event: E, context: Context) => {
    const log = logger.createChild();
    log.addContext(context);
    return fn(event, context, log);
  });
  // Only handlers that emit metrics flush them: the others would log "no metrics to publish" on every call.
  return options.metrics ? h.use(logMetrics(metrics)) : h;
}
