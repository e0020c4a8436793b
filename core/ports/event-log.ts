import type { Page, PageRequest } from './common.ts';
import type { JobEvent } from './event-bus.ts';

/**
 * A job's events, kept in the inventory table: written in the commit transaction of each batch and with each
 * run's end, so that an event exists if and only if its commit or its end does. Each is also marked pending
 * until published to the bus.
 */
export interface EventLog {
  /**
   * The job's events in the order of their `at` (the commit's or the close's instant, taken before its
   * transaction: an event can land just behind one already listed), from `since` (inclusive, ISO) on.
   */
  list(jobId: string, query: { since?: string }, page?: PageRequest): Promise<Page<JobEvent>>;
  /** Events not yet published, at most `limit` (the marks are keyed by event id: oldest first within the page). */
  pending(jobId: string, limit: number): Promise<JobEvent[]>;
  /** Published: their pending marks go (an unknown id is ignored). */
  markSent(jobId: string, eventIds: readonly string[]): Promise<void>;
}
