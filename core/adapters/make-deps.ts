import { ENV, type TableNames } from '../contracts/tables.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import {
  type Clock,
  type CommandHost,
  type EventBus,
  type FaultHook,
  noFaults,
  type RunLiveness,
  type RunStarter,
  systemClock,
} from '../ports/index.ts';
import type { ProcessorRegistry } from '../processors/registry.ts';
import type { Clients } from './clients.ts';
import { DynamoAttemptStore } from './dynamo-attempt-records.ts';
import { DynamoBatchStore } from './dynamo-batch-records.ts';
import { DynamoCatalogStore } from './dynamo-catalog-store.ts';
import { DynamoCommitStore } from './dynamo-commit-records.ts';
import { DynamoCutStore } from './dynamo-cut-records.ts';
import { DynamoEventLog } from './dynamo-event-log.ts';
import { DynamoExceptionStore } from './dynamo-exception-store.ts';
import { DynamoJobStore } from './dynamo-job-records.ts';
import { DynamoLeaseStore } from './dynamo-lease-records.ts';
import { DynamoPublishStore } from './dynamo-publish-records.ts';
import { DynamoRunStore } from './dynamo-run-records.ts';
import { DynamoSplitStore } from './dynamo-split-records.ts';
import type { DynamoInventoryProps } from './dynamo-support.ts';
import { NodeCommandHost } from './node-command-host.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { CachedSecretResolver } from './secrets-resolver.ts';

export interface DepsOptions {
  readonly clients: Clients;
  readonly tables: TableNames;
  readonly buckets: { readonly work: string; readonly data: string };
  readonly processors: ProcessorRegistry;
  readonly clock?: Clock;
  readonly faults?: FaultHook;
  readonly liveness?: RunLiveness;
  readonly reservationMs?: number;
  /** Where events are published; without one the job's event log is the only record. */
  readonly bus?: EventBus;
  /** Starts runs, for the triggers (the TriggerRuns function, the local mode). */
  readonly starter?: RunStarter;
  /** Work folders and child processes of command processors. @default a NodeCommandHost (tmpdir root) */
  readonly commands?: CommandHost;
}

/**
 * Build the core's dependencies once (per cold start, per CLI call, per test). Handlers, the CLI and the local
 * mode all come through here, so they run the same adapters.
 * @example const deps = makeDeps({ clients: makeClients(), ...namesFromEnv(), processors: defaultRegistry });
 */
export function makeDeps(o: DepsOptions): Deps {
  const clock = o.clock ?? systemClock;
  const { doc } = o.clients;
  return {
    ...inventoryStores({ doc, table: o.tables.inventory, exceptionsTable: o.tables.exceptions, clock }),
    catalog: new DynamoCatalogStore({ doc, table: o.tables.catalog }),
    exceptions: new DynamoExceptionStore({ doc, table: o.tables.exceptions }),
    objects: new S3ObjectStore({ s3: o.clients.s3 }),
    secrets: new CachedSecretResolver({ secrets: o.clients.secrets }),
    commands: o.commands ?? new NodeCommandHost(),
    processors: o.processors,
    buckets: o.buckets,
    clock,
    faults: o.faults ?? noFaults,
    liveness: o.liveness,
    reservationMs: o.reservationMs,
    bus: o.bus,
    starter: o.starter,
  };
}

/** The inventory table's stores, one per port, sharing one client and clock. */
export function inventoryStores(props: DynamoInventoryProps) {
  return {
    jobs: new DynamoJobStore(props),
    runs: new DynamoRunStore(props),
    batches: new DynamoBatchStore(props),
    cuts: new DynamoCutStore(props),
    splits: new DynamoSplitStore(props),
    leases: new DynamoLeaseStore(props),
    commits: new DynamoCommitStore(props),
    attempts: new DynamoAttemptStore(props),
    publishes: new DynamoPublishStore(props),
    events: new DynamoEventLog(props),
  };
}

/** Resource names from the environment the CDK app (or the local mode) sets; a missing one is named. */
export function namesFromEnv(env: NodeJS.ProcessEnv = process.env): {
  tables: TableNames;
  buckets: { work: string; data: string };
} {
  const need = (name: string) => {
    const value = env[name];
    if (!value)
      throw new ValidationError([{ field: name, rule: 'must be set in the environment' }], {
        what: 'configuration',
      });
    return value;
  };
  return {
    tables: {
      catalog: need(ENV.catalogTable),
      inventory: need(ENV.inventoryTable),
      exceptions: need(ENV.exceptionsTable),
    },
    buckets: { work: need(ENV.workBucket), data: need(ENV.dataBucket) },
  };
}
