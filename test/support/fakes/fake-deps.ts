import type { Deps } from '../../../core/deps.ts';
import {
  type CommandHost,
  type EventBus,
  type FaultHook,
  noFaults,
  type RunLiveness,
  type SecretResolver,
} from '../../../core/ports/index.ts';
import { defaultRegistry } from '../../../core/processors/builtin.ts';
import type { ProcessorRegistry } from '../../../core/processors/registry.ts';
import { FakeAttemptStore } from './fake-attempt-store.ts';
import { FakeBatchStore } from './fake-batch-store.ts';
import { FakeCatalogStore } from './fake-catalog-store.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeCommitStore } from './fake-commit-store.ts';
import { FakeCutStore } from './fake-cut-store.ts';
import { FakeEventLog } from './fake-event-log.ts';
import { FakeExceptionStore } from './fake-exception-store.ts';
import { FakeJobStore } from './fake-job-store.ts';
import { FakeLeaseStore } from './fake-lease-store.ts';
import { FakeObjectStore } from './fake-object-store.ts';
import { FakePublishStore } from './fake-publish-store.ts';
import { type FakeTables, fakeTables } from './fake-records.ts';
import { FakeRunStore } from './fake-run-store.ts';
import { FakeSplitStore } from './fake-split-store.ts';

export interface FakeDepsOptions {
  /** @default a FakeClock at 2026-01-01T00:00:00Z */
  readonly clock?: FakeClock;
  /** @default noFaults */
  readonly faults?: FaultHook;
  /** @default { work: 'work', data: 'data' }, both created */
  readonly buckets?: { readonly work: string; readonly data: string };
  /** @default defaultRegistry (the built-in processors) */
  readonly processors?: ProcessorRegistry;
  /** Without it a reservation is live until it expires, as in Deps. */
  readonly liveness?: RunLiveness;
  readonly secrets?: SecretResolver;
  readonly reservationMs?: number;
  /** Where events are published; test/support/fakes/fake-event-bus.ts keeps what it is sent. */
  readonly bus?: EventBus;
  /** Work folders and commands of command processors; test/support/fakes/fake-command-host.ts plays them. */
  readonly commands?: CommandHost;
}

/** Deps whose clock and object store the test can reach: `deps.clock.advance(ms)`, `deps.objects.put(...)`. */
export interface FakeDeps extends Deps {
  readonly clock: FakeClock;
  readonly objects: FakeObjectStore;
}

/**
 * A complete Deps over in-memory fakes of every port, sharing one set of tables as the adapters share the
 * DynamoDB tables, for domain tests that run in milliseconds. The fakes keep the adapters' conditions and
 * errors; test/support/contracts/ checks them against the real adapters.
 * @example
 * const deps = fakeDeps();
 * await seedJob(deps, { ids: 100, size: 10 });
 * await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
 * deps.clock.advance(60_001);
 */
export function fakeDeps(options: FakeDepsOptions = {}): FakeDeps {
  const clock = options.clock ?? new FakeClock();
  const tables: FakeTables = fakeTables();
  const ctx = { tables, clock };
  const buckets = options.buckets ?? { work: 'work', data: 'data' };
  return {
    jobs: new FakeJobStore(ctx),
    runs: new FakeRunStore(ctx),
    batches: new FakeBatchStore(ctx),
    cuts: new FakeCutStore(ctx),
    splits: new FakeSplitStore(ctx),
    leases: new FakeLeaseStore(ctx),
    commits: new FakeCommitStore(ctx),
    attempts: new FakeAttemptStore(ctx),
    publishes: new FakePublishStore(ctx),
    events: new FakeEventLog(ctx),
    catalog: new FakeCatalogStore(ctx),
    exceptions: new FakeExceptionStore(ctx),
    objects: new FakeObjectStore([buckets.work, buckets.data]),
    processors: options.processors ?? defaultRegistry,
    buckets,
    clock,
    faults: options.faults ?? noFaults,
    secrets: options.secrets,
    liveness: options.liveness,
    reservationMs: options.reservationMs,
    bus: options.bus,
    commands: options.commands,
  };
}

/** A fresh fake deployment and its clock: the unit tier's environment for a port contract. */
export const fakeEnv = async (): Promise<{ deps: FakeDeps; clock: FakeClock }> => {
  const deps = fakeDeps();
  return { deps, clock: deps.clock };
};
