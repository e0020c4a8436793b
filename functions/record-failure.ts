import { RecordFailureEvent } from '../core/events.ts';
import { recordFailure } from '../core/processing/record-failure.ts';
import { parse } from '../core/validation.ts';
import { deps, handle } from './support/runtime.ts';

/** The RecordFailure state: a batch's caught failure goes into its history. */
export const handler = handle(async (event: unknown, _context, log) => {
  const e = parse(RecordFailureEvent, event, 'record-failure event');
  log.appendKeys({ jobId: e.jobId, runId: e.runId, batchStart: e.batch.start, batchEnd: e.batch.end });
  const out = await recordFailure(deps(), e);
  log.warn('batch failure recorded', out);
  return out;
});
