/**
 * The handlers' CloudWatch metrics (Powertools, embedded metric format): the handlers emit them under these
 * names, the CDK app alarms and graphs on the same, and sets the functions' Powertools environment from here.
 */

/** Namespace of every metric (POWERTOOLS_METRICS_NAMESPACE of the deployed functions). */
export const METRICS_NAMESPACE = 'batchkeeper';

/** The handlers' service name (POWERTOOLS_SERVICE_NAME): their logs carry it and their metrics' dimension. */
export const SERVICE_NAME = 'batchkeeper';

/** The dimensions of every metric: Powertools adds `service` to each. */
export const METRIC_DIMENSIONS = { service: SERVICE_NAME } as const;

/** The metrics ProcessBatch emits. */
export const METRIC_NAMES = {
  /** A batch committed (Count). */
  batchesSucceeded: 'BatchesSucceeded',
  /** A batch's attempt failed and was thrown to the state machine (Count). */
  batchesFailed: 'BatchesFailed',
  /** A worker took over a batch whose lease had expired (Count). */
  leasesExpired: 'LeasesExpired',
  /** Items of committed batches that succeeded (Count). */
  itemsProcessed: 'ItemsProcessed',
  /** Items of committed batches that were set aside as exceptions (Count). */
  itemsExcepted: 'ItemsExcepted',
  /** How long a committed batch took (Milliseconds). */
  batchDuration: 'BatchDuration',
} as const;

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
