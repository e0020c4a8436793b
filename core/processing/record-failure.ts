import type { Deps } from '../deps.ts';
import type { RecordFailureEvent } from '../events.ts';
import type { BatchScope } from '../model.ts';

/**
 * Step Functions caught a batch's failure. The worker has usually recorded it already (then this is a no-op);
 * when it died without a word (timeout, out of memory, killed), the attempt is failed here, but only if this
 * run still holds the batch, so that a newer owner is never disturbed.
 */
export async function recordFailure(
  deps: Deps,
  event: RecordFailureEvent,
): Promise<{ recorded: boolean; error: string }> {
  const scope: BatchScope =
    event.batch.scope === 'sample' ? { kind: 'sample', runId: event.runId } : { kind: 'inventory' };
  const error = { name: event.error.Error, message: messageOf(event.error.Cause) };
  const recorded = await deps.attempts.failAbandoned({
    jobId: event.jobId,
    scope,
    start: event.batch.start,
    runId: event.runId,
    error,
  });
  return { recorded, error: error.name };
}

/** The Cause of a Lambda error is a JSON document with errorMessage (so is the local mode's); other causes are text. */
export function messageOf(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 1000);
  } catch {
    // plain text
  }
  return cause.slice(0, 1000);
}
