import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CONTAINER, CONTAINER_FLAVORS, isContainerFlavor } from '../core/contracts/flavors.ts';
import { RetryableError, ValidationError } from '../core/errors.ts';
import { ProcessBatchEvent } from '../core/events.ts';
import { processBatch } from '../core/processing/process-batch.ts';
import { registryFromModule } from '../core/processors/registry.ts';
import { parse } from '../core/validation.ts';
import { recordBatchFailed, recordBatchMetrics } from './support/batch-metrics.ts';
import { deps, logger, metrics, useProcessors } from './support/runtime.ts';

/**
 * The container entrypoint of a container flavor: ProcessBatch for the one batch the state machine hands the
 * Fargate task (the Map's item, in the task's environment), with the same dependencies as the Lambda handler.
 * It exits 0 when the batch is committed (or already done, or busy elsewhere), 2 when it asks to be retried,
 * 1 on any other failure, 124 at the flavor's timeout: Step Functions sees only that code. The attempt, with its
 * error's name and message, is recorded by processBatch before the process exits.
 */
export async function runContainerBatch(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = logger.createChild();
  try {
    const event = parse(ProcessBatchEvent, parseJson(env[CONTAINER.env.event]), 'container batch event');
    const deadline = Date.now() + timeoutSecondsOf(env[CONTAINER.env.flavor]) * 1000;
    const module = env[CONTAINER.env.processorsModule];
    if (module) useProcessors(registryFromModule(await import(pathToFileURL(module).href), module));
    log.appendKeys({ jobId: event.jobId, runId: event.runId, batchStart: event.batch.start });
    const out = await processBatch(deps(), event, {
      invocationId: randomUUID(),
      // The lease never outlives the flavor's timeout by much, as a Lambda's never outlives its own.
      remainingMs: () => Math.max(0, deadline - Date.now()),
      log: {
        info: (m, d) => log.info(m, d ?? {}),
        warn: (m, d) => log.warn(m, d ?? {}),
      },
    });
    recordBatchMetrics(out);
    log.info('batch done', { ...out });
    return CONTAINER.exitCodes.done;
  } catch (error) {
    recordBatchFailed();
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    log.error('batch failed', { error: { name, message } });
    return error instanceof RetryableError ? CONTAINER.exitCodes.retry : CONTAINER.exitCodes.failed;
  } finally {
    // Embedded metric format on stdout: CloudWatch Logs turns the task's log lines into the same metrics.
    metrics.publishStoredMetrics();
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined)
    throw new ValidationError([{ field: CONTAINER.env.event, rule: 'must be set in the environment' }], {
      what: 'container environment',
    });
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError([{ field: CONTAINER.env.event, rule: 'must be JSON' }], {
      what: 'container environment',
    });
  }
}

function timeoutSecondsOf(flavor: string | undefined): number {
  if (flavor === undefined || !isContainerFlavor(flavor))
    throw new ValidationError(
      [{ field: CONTAINER.env.flavor, rule: `must be one of ${Object.keys(CONTAINER_FLAVORS).join(', ')}` }],
      { what: 'container environment' },
    );
  return CONTAINER_FLAVORS[flavor].timeoutSeconds;
}

/** Run as the container's command: exit with the batch's code, or at the flavor's timeout. */
async function main(): Promise<void> {
  const flavor = process.env[CONTAINER.env.flavor];
  if (flavor !== undefined && isContainerFlavor(flavor)) {
    setTimeout(() => {
      logger.error('batch timed out', { flavor, timeoutSeconds: CONTAINER_FLAVORS[flavor].timeoutSeconds });
      process.exit(CONTAINER.exitCodes.timedOut);
    }, CONTAINER_FLAVORS[flavor].timeoutSeconds * 1000).unref();
  }
  process.exitCode = await runContainerBatch();
}

const invoked = process.argv[1] && realpathSync(process.argv[1]) === realpathSync(new URL(import.meta.url));
if (invoked) await main();
