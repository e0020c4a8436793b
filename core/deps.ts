import type {
  CatalogStore,
  Clock,
  ExceptionStore,
  FaultHook,
  InventoryStore,
  ObjectStore,
  RunLiveness,
  SecretResolver,
} from './ports.ts';
import type { ProcessorRegistry } from './processors/registry.ts';

/** Everything the core is given: stores, clients behind ports, and the knobs tests turn. */
export interface Deps {
  readonly inventory: InventoryStore;
  readonly catalog: CatalogStore;
  readonly exceptions: ExceptionStore;
  readonly objects: ObjectStore;
  readonly processors: ProcessorRegistry;
  readonly buckets: { readonly work: string; readonly data: string };
  readonly clock: Clock;
  readonly faults: FaultHook;
  readonly secrets?: SecretResolver;
  /** Whether a run still executes; without it a reservation is live until it expires. */
  readonly liveness?: RunLiveness;
  /** How long a plan's reservation of a batch holds without a live run behind it. @default 6 hours */
  readonly reservationMs?: number;
}

export const DEFAULT_RESERVATION_MS = 6 * 3600_000;
