// The clock, the fault hook and the seeding are the unit tier's (they need no engine); this module adds the
// real adapters on DynamoDB Local and moto.
import { makeDeps } from '../../core/adapters/make-deps.ts';
import type { Deps } from '../../core/deps.ts';
import { builtinProcessors } from '../../core/processors/builtin.ts';
import type { AnyProcessor } from '../../core/processors/define-processor.ts';
import { createRegistry } from '../../core/processors/registry.ts';
import { FakeClock as TestClock } from './fakes/fake-clock.ts';
import { FaultSwitch as Faults } from './fakes/fault-switch.ts';
import { type LocalEnv, localEnv } from './local.ts';
import { takeBatch } from './seed-data.ts';

export { FakeClock as TestClock } from './fakes/fake-clock.ts';
export { FaultSwitch as Faults } from './fakes/fault-switch.ts';
export { appendRecords, collect, quietWorker, seedDataset, seedJob } from './seed-data.ts';

export interface CoreEnv {
  readonly env: LocalEnv;
  readonly deps: Deps;
  readonly clock: TestClock;
  readonly faults: Faults;
  /** The same stores with another clock or processors: a second worker. */
  with(overrides: Partial<Deps>): Deps;
}

/** Fresh tables and buckets, and the core's deps over them with the real DynamoDB and S3 adapters. */
export async function coreEnv(label: string, extra: readonly AnyProcessor[] = []): Promise<CoreEnv> {
  const env = await localEnv(label);
  const clock = new TestClock();
  const faults = new Faults();
  const deps = makeDeps({
    clients: env.clients,
    tables: env.tables,
    buckets: { work: env.bucket, data: env.dataBucket },
    processors: createRegistry([...builtinProcessors, ...extra]),
    clock,
    faults: faults.hook,
  });
  return { env, deps, clock, faults, with: (overrides) => ({ ...deps, ...overrides }) };
}

/**
 * Worker `w` of run-1 takes the lease of job `j`'s batch at `start` for a minute, as an incremental run does;
 * with `cut`, as the worker of a batch whose cut its Plan left to the run's workers.
 */
export const acquireBatch = (deps: Deps, start: number, cut?: number) => takeBatch(deps, start, { cut });
