import { ProcessBatchEvent } from '../core/events.ts';
import { processBatch } from '../core/processing/process-batch.ts';
import { parse } from '../core/validation.ts';
import { recordBatchFailed, recordBatchMetrics } from './support/batch-metrics.ts';
import { deps, handle } from './support/runtime.ts';

/** The ProcessBatch state: one batch under a fenced lease. */
export const handler = handle(
  async (event: unknown, context, log) => {
    const e = parse(ProcessBatchEvent, event, 'process-batch event');
    log.appendKeys({
      jobId: e.jobId,
      runId: e.runId,
      batchStart: e.batch.start,
      batchEnd: e.batch.end,
      scope: e.batch.scope,
    });
    const batchLog = {
      info: (m: string, d?: Record<string, unknown>) => log.info(m, d ?? {}),
      warn: (m: string, d?: Record<string, unknown>) => log.warn(m, d ?? {}),
    };
    try {
      const out = await processBatch(deps(), e, {
        invocationId: context.awsRequestId,
        remainingMs: () => context.getRemainingTimeInMillis(),
        log: batchLog,
      });
      recordBatchMetrics(out);
      log.info('batch done', {
        outcome: out.outcome,
        itemsSucceeded: out.itemsSucceeded,
        itemsExcepted: out.itemsExcepted,
        durationMs: out.durationMs,
      });
      return out;
    } catch (error) {
      recordBatchFailed();
      log.error('batch failed', {
        error: { name: (error as Error).name, message: (error as Error).message },
      });
      throw error;
    }
  },
  { metrics: true },
);
