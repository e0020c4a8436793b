import {
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { DETAIL_TYPES, EVENT_SOURCE } from '../contracts/bus.ts';
import { ENV } from '../contracts/tables.ts';
import { RetryableError } from '../errors.ts';
import type { EventBus, JobEvent } from '../ports/event-bus.ts';

export { DETAIL_TYPES, EVENT_SOURCE };

/** PutEvents takes at most 10 entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

/** What the bus needs of an EventBridgeClient: tests hand it a stub. */
export interface PutEventsSender {
  send(command: PutEventsCommand): Promise<PutEventsCommandOutput>;
}

export interface EventBridgeBusProps {
  readonly client: PutEventsSender;
  /** Name (or ARN) of the custom bus: `BATCHKEEPER_EVENT_BUS` of the deployment (busNameFromEnv). */
  readonly busName: string;
  /**
   * Rounds of retry for the entries a call reports as failed, before publish throws.
   * @default 3
   */
  readonly retries?: number;
  /**
   * Wait before the first retry round, doubled each round.
   * @default 100
   */
  readonly baseDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The event bus on AWS: PutEvents to the deployment's custom bus, ten entries a call. Each entry's detail is the
 * whole JobEvent, `eventId` included, so that a consumer can drop the repeats at-least-once delivery brings.
 * Entries a call reports as failed (throttled, an internal failure) are put again, only those, with backoff;
 * what still fails after the last round makes publish throw a RetryableError: the caller keeps the events
 * pending and publishes them again later, which is harmless.
 * @example
 * const bus = new EventBridgeBus({ client: new EventBridgeClient({}), busName: busNameFromEnv() ?? 'default' });
 * await bus.publish(events);
 */
export class EventBridgeBus implements EventBus {
  constructor(private readonly props: EventBridgeBusProps) {}

  async publish(events: readonly JobEvent[]): Promise<void> {
    const failures: PutEventsResultEntry[] = [];
    for (let i = 0; i < events.length; i += MAX_ENTRIES_PER_CALL) {
      // Every chunk is tried, so that a failure in one still lets the others out.
      failures.push(...(await this.putWithRetries(events.slice(i, i + MAX_ENTRIES_PER_CALL))));
    }
    const first = failures[0];
    if (first === undefined) return;
    const code = first.ErrorCode ?? 'unknown';
    throw new RetryableError(
      `${failures.length} of ${events.length} events not published to event bus ${this.props.busName} ` +
        `(first error: ${code}${first.ErrorMessage ? `: ${first.ErrorMessage}` : ''})`,
      { context: { busName: this.props.busName, failed: failures.length, errorCode: code } },
    );
  }

  /** Put up to ten entries; put the failed ones again, rounds apart. Answers the failures of the last round. */
  private async putWithRetries(chunk: readonly JobEvent[]): Promise<PutEventsResultEntry[]> {
    const retries = this.props.retries ?? 3;
    const sleep = this.props.sleep ?? wait;
    let pending = chunk.map((e) => this.entry(e));
    for (let round = 0; ; round++) {
      const failed = await this.put(pending);
      if (failed.length === 0) return [];
      if (round >= retries) return failed.map((f) => f.result);
      await sleep((this.props.baseDelayMs ?? 100) * 2 ** round);
      pending = failed.map((f) => f.entry);
    }
  }

  /** One PutEvents call: the entries it did not accept, each with its result. */
  private async put(
    entries: readonly PutEventsRequestEntry[],
  ): Promise<{ entry: PutEventsRequestEntry; result: PutEventsResultEntry }[]> {
    let out: PutEventsCommandOutput;
    try {
      out = await this.props.client.send(new PutEventsCommand({ Entries: [...entries] }));
    } catch (e) {
      // The SDK has already retried what it retries (throttling, network): the domain sees one typed error.
      const code = (e as { name?: string }).name ?? 'Error';
      throw new RetryableError(`PutEvents to event bus ${this.props.busName} failed: ${code}`, {
        cause: e,
        context: { busName: this.props.busName, failed: entries.length, errorCode: code },
      });
    }
    if (!out.FailedEntryCount) return [];
    // Results come in the order of the entries; a failed one carries an ErrorCode instead of an EventId.
    return entries.flatMap((entry, i) => {
      const result = out.Entries?.[i] ?? { ErrorCode: 'MissingResult' };
      return result.ErrorCode === undefined && result.EventId !== undefined ? [] : [{ entry, result }];
    });
  }

  /**
   * No entry comes near the 256 KB PutEvents limit (for a whole call): the detail holds ids, a range, a config
   * hash, counts and an output key, well under 1 KB, and never items, outputs or exceptions.
   */
  private entry(event: JobEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.props.busName,
      Source: EVENT_SOURCE,
      DetailType: DETAIL_TYPES[event.type],
      Detail: JSON.stringify(event),
      // The event's time is when the commit or the run's end was recorded, not when the relay got to it.
      Time: new Date(event.at),
    };
  }
}

/** The deployment's bus name (BATCHKEEPER_EVENT_BUS); undefined where there is none (the local mode). */
export function busNameFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = env[ENV.eventBus]?.trim();
  return name ? name : undefined;
}
