import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMES } from '../../core/contracts/metrics.ts';
import type { ProcessBatchReport } from '../../core/processing/process-batch.ts';
import { metrics } from './runtime.ts';

/** The metrics of one batch, the same from the ProcessBatch Lambda and from a container flavor's task. */
export function recordBatchMetrics(out: ProcessBatchReport): void {
  if (out.tookOverFrom) metrics.addMetric(METRIC_NAMES.leasesExpired, MetricUnit.Count, 1);
  if (out.outcome === 'SUCCEEDED') {
    metrics.addMetric(METRIC_NAMES.batchesSucceeded, MetricUnit.Count, 1);
    metrics.addMetric(METRIC_NAMES.itemsProcessed, MetricUnit.Count, out.itemsSucceeded);
    metrics.addMetric(METRIC_NAMES.itemsExcepted, MetricUnit.Count, out.itemsExcepted);
    metrics.addMetric(METRIC_NAMES.batchDuration, MetricUnit.Milliseconds, out.durationMs);
  }
}

/** A batch that failed: what the BatchesFailed alarm counts. */
export function recordBatchFailed(): void {
  metrics.addMetric(METRIC_NAMES.batchesFailed, MetricUnit.Count, 1);
}
