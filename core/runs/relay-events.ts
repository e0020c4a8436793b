import type { Deps } from '../deps.ts';
import type { JobEvent } from '../ports/index.ts';

/** Pending events read and published per round. */
const RELAY_PAGE = 100;

/**
 * Publish the job's pending events to the bus, oldest first, then drop their pending marks; without a bus the
 * marks just go (the job's event log is then the record). At least once: a relay that dies between the two steps,
 * or two relays at once, publish an event again, and consumers tell repeats apart by `eventId`. With `own`, just
 * those events, as recorded (a worker publishing its own commit's, with no read of the pending marks). Returns
 * how many went out.
 */
export async function relayEvents(deps: Deps, jobId: string, own?: readonly JobEvent[]): Promise<number> {
  if (own) {
    if (own.length > 0) await publish(deps, jobId, own);
    return own.length;
  }
  let sent = 0;
  for (;;) {
    const page = await deps.events.pending(jobId, RELAY_PAGE);
    if (page.length > 0) await publish(deps, jobId, page);
    sent += page.length;
    if (page.length < RELAY_PAGE) return sent;
  }
}

/**
 * Relay, never failing the caller: the commit or the run's end is recorded whatever the bus does, and what is
 * left pending goes out with the next relay (Plan, or Finalize).
 */
export async function relayQuietly(deps: Deps, jobId: string, own?: readonly JobEvent[]): Promise<number> {
  return relayEvents(deps, jobId, own).catch(() => 0);
}

async function publish(deps: Deps, jobId: string, events: readonly JobEvent[]): Promise<void> {
  if (deps.bus) await deps.bus.publish(events);
  await deps.events.markSent(
    jobId,
    events.map((e) => e.eventId),
  );
}
