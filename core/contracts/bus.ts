/** What rules on the deployment's event bus match: the `source` of every batchkeeper event. */
export const EVENT_SOURCE = 'batchkeeper';

/** The `detail-type` of each kind of event (core/ports/event-bus.ts), as rules match it. */
export const DETAIL_TYPES = {
  BatchCommitted: 'Batch Committed',
  RunFinished: 'Run Finished',
} as const satisfies Record<'BatchCommitted' | 'RunFinished', string>;
