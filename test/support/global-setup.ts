import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../cli/local/dynamodb-local.ts';
import { type Moto, startMoto } from '../../cli/local/moto.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local engines this run started once; test/support/local.ts reads them. */
    localEndpoints: { dynamodb: string; moto: string };
  }
}

/** How long an engine may take to answer after its spawn before the start is taken as failed. */
export const ENGINE_START_WITHIN_MS = 300_000;

/**
 * One DynamoDB Local and one moto for the whole `vitest run`; every test makes its own tables and buckets.
 * Importing processes.ts (through the starters) installs the exit and signal hooks that kill both if the run
 * is interrupted before the teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The engines' start limits only stop a start that went wrong: a loaded machine starts them slowly.
  const [ddb, moto] = await Promise.allSettled([
    startDynamoDbLocal({ startTimeoutMs: ENGINE_START_WITHIN_MS }),
    startMoto({ startTimeoutMs: ENGINE_START_WITHIN_MS }),
  ]);
  const started = [ddb, moto].flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = async () => {
    await Promise.allSettled(started.map((engine) => engine.stop()));
  };
  if (ddb.status === 'rejected' || moto.status === 'rejected') {
    await stopAll();
    throw ddb.status === 'rejected' ? ddb.reason : (moto as PromiseRejectedResult).reason;
  }
  report(ddb.value, moto.value);
  project.provide('localEndpoints', { dynamodb: ddb.value.endpoint, moto: moto.value.endpoint });
  return stopAll;
}

function report(ddb: DynamoDbLocal, moto: Moto): void {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `local engines: DynamoDB Local ${ddb.endpoint} (pid ${ddb.pid}, ${seconds(ddb.startedInMs)}), ` +
      `moto ${moto.endpoint} (pid ${moto.pid}, ${seconds(moto.startedInMs)})`,
  );
}
