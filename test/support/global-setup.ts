import type { TestProject } from 'vitest/node';
import {
  type DynamoDbLocal,
  startDynamoDbLocal,
} from '../../cli/local/engines/dynamodb-local/dynamodb-local.ts';
import { type Moto, startMoto } from '../../cli/local/engines/moto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local engines this run started once; test/support/local.ts reads them. */
    localEndpoints: { dynamodb: string; moto: string };
  }
}

/** How long an engine may take to answer after its spawn before the start is taken as failed. */
export const ENGINE_START_WITHIN_MS = 300_000;

interface Engines {
  readonly ddb: DynamoDbLocal;
  readonly moto: Moto;
}

/** The engines of this run and how many projects use them, kept where every project's copy of this file sees it. */
interface Shared {
  readonly engines: Promise<Engines>;
  users: number;
}

const SHARED = Symbol.for('batchkeeper.test.local-engines');
const registry = globalThis as { [SHARED]?: Shared };

/**
 * One DynamoDB Local and one moto for the whole `vitest run`; every test makes its own tables and buckets.
 * Vitest calls this once per project that names it (local, infra, e2e), each with its own copy of this module:
 * the first call starts the engines, the others share them, and the last teardown stops them. Importing
 * processes.ts (through the starters) installs the exit and signal hooks that kill both if the run is
 * interrupted before the teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const shared = registry[SHARED] ?? { engines: startEngines(), users: 0 };
  registry[SHARED] = shared;
  shared.users += 1;
  const { ddb, moto } = await shared.engines;
  project.provide('localEndpoints', { dynamodb: ddb.endpoint, moto: moto.endpoint });
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await Promise.allSettled([ddb.stop(), moto.stop()]);
  };
}

async function startEngines(): Promise<Engines> {
  // The engines' start limits only stop a start that went wrong: a loaded machine starts them slowly.
  const [ddb, moto] = await Promise.allSettled([
    startDynamoDbLocal({ startTimeoutMs: ENGINE_START_WITHIN_MS }),
    startMoto({ startTimeoutMs: ENGINE_START_WITHIN_MS }),
  ]);
  if (ddb.status === 'rejected' || moto.status === 'rejected') {
    const started = [ddb, moto].flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.allSettled(started.map((engine) => engine.stop()));
    throw ddb.status === 'rejected' ? ddb.reason : (moto as PromiseRejectedResult).reason;
  }
  report(ddb.value, moto.value);
  return { ddb: ddb.value, moto: moto.value };
}

function report(ddb: DynamoDbLocal, moto: Moto): void {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `local engines: DynamoDB Local ${ddb.endpoint} (pid ${ddb.pid}, ${seconds(ddb.startedInMs)}), ` +
      `moto ${moto.endpoint} (pid ${moto.pid}, ${seconds(moto.startedInMs)})`,
  );
}
