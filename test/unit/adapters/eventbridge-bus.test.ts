import type {
  EventBridgeClient,
  PutEventsCommand,
  PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  busNameFromEnv,
  EventBridgeBus,
  type PutEventsSender,
} from '../../../core/adapters/eventbridge-bus.ts';
import { ENV } from '../../../core/contracts/tables.ts';
import { RetryableError } from '../../../core/errors.ts';
import type { JobEvent } from '../../../core/ports/event-bus.ts';

const committed = (start: number): JobEvent => ({
  eventId: `j/B#${start}#1`,
  type: 'BatchCommitted',
  jobId: 'j',
  runId: 'run-1',
  at: '2025-01-02T03:04:05.000Z',
  detail: {
    scope: 'inventory',
    start,
    end: start + 9,
    configHash: 'abc',
    itemsSucceeded: 10,
    itemsExcepted: 0,
    outputKey: `outputs/j/${start}`,
    token: 1,
    attempt: 1,
  },
});

const finished: JobEvent = {
  eventId: 'j/run#run-1',
  type: 'RunFinished',
  jobId: 'j',
  runId: 'run-1',
  at: '2025-01-02T03:05:00.000Z',
  detail: { mode: 'incremental', status: 'SUCCEEDED', batchesSucceeded: 3, itemsSucceeded: 30 },
};

type Entry = NonNullable<PutEventsCommand['input']['Entries']>[number];
/** Decides the fate of each entry of one call: an error code, or undefined for accepted. */
type Fate = (entry: Entry, call: number) => string | undefined;

/** A PutEvents stub: records every call's entries and answers per entry as `fate` says. */
function stubClient(fate: Fate = () => undefined) {
  const calls: Entry[][] = [];
  const client = {
    async send(command: PutEventsCommand): Promise<PutEventsCommandOutput> {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const results = entries.map((e, i) => {
        const code = fate(e, calls.length);
        return code ? { ErrorCode: code, ErrorMessage: `${code} happened` } : { EventId: `id-${i}` };
      });
      return {
        FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
        Entries: results,
        $metadata: {},
      };
    },
  };
  return { client, calls };
}

const eventIdOf = (e: Entry) => (JSON.parse(e.Detail ?? '{}') as JobEvent).eventId;

function busWith(fate?: Fate) {
  const { client, calls } = stubClient(fate);
  const sleeps: number[] = [];
  const bus = new EventBridgeBus({
    client,
    busName: 'Batchkeeper-events',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { bus, calls, sleeps };
}

describe('EventBridgeBus.publish', () => {
  it('takes a real EventBridgeClient where the tests hand it a stub', () => {
    expectTypeOf<EventBridgeClient>().toExtend<PutEventsSender>();
  });

  it('puts each event with source batchkeeper, its detail type and the whole event as detail', async () => {
    const { bus, calls } = busWith();
    await bus.publish([committed(1), finished]);
    expect(calls).toHaveLength(1);
    const [batch, run] = calls[0] ?? [];
    expect(batch).toMatchObject({
      EventBusName: 'Batchkeeper-events',
      Source: 'batchkeeper',
      DetailType: 'Batch Committed',
      Time: new Date('2025-01-02T03:04:05.000Z'),
    });
    expect(JSON.parse(batch?.Detail ?? '')).toEqual(committed(1));
    expect(run).toMatchObject({ Source: 'batchkeeper', DetailType: 'Run Finished' });
    expect(JSON.parse(run?.Detail ?? '')).toEqual(finished);
  });

  it('puts at most ten entries per call, in order', async () => {
    const { bus, calls } = busWith();
    const events = Array.from({ length: 23 }, (_, i) => committed(i * 10 + 1));
    await bus.publish(events);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map(eventIdOf)).toEqual(events.map((e) => e.eventId));
  });

  it('makes no call for no events', async () => {
    const { bus, calls } = busWith();
    await bus.publish([]);
    expect(calls).toEqual([]);
  });

  it('puts again only the entries that failed, with a growing wait, until all are in', async () => {
    // Call 1 fails two of three entries, call 2 one of those two, call 3 takes the last.
    const { bus, calls, sleeps } = busWith((e, call) => {
      const id = eventIdOf(e);
      if (call === 1 && id !== 'j/B#1#1') return 'ThrottlingException';
      if (call === 2 && id === 'j/B#21#1') return 'InternalFailure';
      return undefined;
    });
    await bus.publish([committed(1), committed(11), committed(21)]);
    expect(calls.map((c) => c.map(eventIdOf))).toEqual([
      ['j/B#1#1', 'j/B#11#1', 'j/B#21#1'],
      ['j/B#11#1', 'j/B#21#1'],
      ['j/B#21#1'],
    ]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('throws a RetryableError naming how many failed and the first code after the last round', async () => {
    const { bus, calls, sleeps } = busWith((e) =>
      eventIdOf(e) === 'j/run#run-1' ? undefined : 'ThrottlingException',
    );
    const error = await bus.publish([committed(1), committed(11), finished]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toMatch(
      /^2 of 3 events not published to event bus Batchkeeper-events \(first error: ThrottlingException/,
    );
    expect((error as RetryableError).context).toMatchObject({ failed: 2, errorCode: 'ThrottlingException' });
    // One call and three retry rounds, each with the two failed entries only.
    expect(calls.map((c) => c.length)).toEqual([3, 2, 2, 2]);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('still puts the later chunks when one chunk keeps failing, then throws', async () => {
    const { bus, calls } = busWith((e) => (eventIdOf(e) === 'j/B#1#1' ? 'InternalFailure' : undefined));
    const events = Array.from({ length: 12 }, (_, i) => committed(i * 10 + 1));
    await expect(bus.publish(events)).rejects.toThrow(/^1 of 12 events not published/);
    expect(calls.map((c) => c.length)).toEqual([10, 1, 1, 1, 2]);
  });

  it('turns an SDK error of the whole call into a RetryableError with the cause', async () => {
    const cause = Object.assign(new Error('no such bus'), { name: 'ResourceNotFoundException' });
    const bus = new EventBridgeBus({
      client: {
        send: async () => {
          throw cause;
        },
      },
      busName: 'gone',
    });
    const error = await bus.publish([finished]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe('PutEvents to event bus gone failed: ResourceNotFoundException');
    expect((error as Error).cause).toBe(cause);
  });
});

describe('busNameFromEnv', () => {
  it(`reads ${ENV.eventBus}, and gives undefined when it is unset or blank`, () => {
    expect(busNameFromEnv({ [ENV.eventBus]: 'Batchkeeper-events' })).toBe('Batchkeeper-events');
    expect(busNameFromEnv({})).toBeUndefined();
    expect(busNameFromEnv({ [ENV.eventBus]: ' ' })).toBeUndefined();
  });
});
