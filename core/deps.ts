import type {
  AttemptStore,
  BatchStore,
  CatalogStore,
  Clock,
  CommandHost,
  CommitStore,
  CutStore,
  EventBus,
  EventLog,
  ExceptionStore,
  FaultHook,
  JobStore,
  LeaseStore,
  ObjectStore,
  PublishStore,
  RunLiveness,
  RunStarter,
  RunStore,
  SecretResolver,
  SplitStore,
} from './ports/index.ts';
import type { ProcessorRegistry } from './processors/registry.ts';

/**
 * Everything the core is given: one small store per responsibility, clients behind ports, and the knobs tests
 * turn. core/adapters/make-deps.ts builds the DynamoDB, S3 and Secrets Manager adapters; test/support/fakes/
 * builds in-memory ones.
 */
export interface Deps {
  readonly jobs: JobStore;
  readonly runs: RunStore;
  readonly batches: BatchStore;
  readonly cuts: CutStore;
  readonly splits: SplitStore;
  readonly leases: LeaseStore;
  readonly commits: CommitStore;
  readonly attempts: AttemptStore;
  readonly publishes: PublishStore;
  readonly events: EventLog;
  readonly catalog: CatalogStore;
  readonly exceptions: ExceptionStore;
  readonly objects: ObjectStore;
  readonly processors: ProcessorRegistry;
  readonly buckets: { readonly work: string; readonly data: string };
  readonly clock: Clock;
  readonly faults: FaultHook;
  readonly secrets?: SecretResolver;
  /** Work folders and child processes for command processors; without one a command processor's batch fails. */
  readonly commands?: CommandHost;
  /** Where events are published (EventBridge); without one the job's event log is the only record. */
  readonly bus?: EventBus;
  /** Whether a run still executes; without it a reservation is live until it expires. */
  readonly liveness?: RunLiveness;
  /** Starts runs: what triggers need (core/runs/triggers.ts); absent where nothing triggers. */
  readonly starter?: RunStarter;
  /** How long a plan's reservation of a batch holds without a live run behind it. @default 6 hours */
  readonly reservationMs?: number;
}

export const DEFAULT_RESERVATION_MS = 6 * 3600_000;
