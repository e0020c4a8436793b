import type { ManifestItem, ProcessBatchEvent } from '../../../../core/events.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import type { CommandHost, EventBus, FaultHook } from '../../../../core/ports/index.ts';
import { builtinProcessors } from '../../../../core/processors/builtin.ts';
import type { AnyProcessor } from '../../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../../core/processors/registry.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FakeSecretResolver } from '../../../support/fakes/fake-secret-resolver.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { seedDataset } from '../../../support/seed-data.ts';

export interface BatchEnvOptions {
  /** The job's processor, by name. */
  readonly processor: string;
  /** Processors beside the built-in ones. */
  readonly processors?: readonly AnyProcessor[];
  /** Ids of data set `ds`, `chunk` to a JSON Lines object. @default 40, 10 */
  readonly ids?: number;
  readonly chunk?: number;
  /** Weight of record i. @default 1 */
  readonly weights?: (i: number) => number;
  /** Ids per batch. @default 10 */
  readonly size?: number;
  /** The data set's secret, and the values the resolver knows. */
  readonly secretArn?: string;
  readonly secrets?: Readonly<Record<string, string>>;
  readonly faults?: FaultHook;
  readonly bus?: EventBus;
  readonly commands?: CommandHost;
  /** The job's lease. @default the job spec's default */
  readonly leaseSeconds?: number;
}

/**
 * Job `j` over data set `ds` (records `{ n: i }`) with the given processor, planned by run-1; `event(i)` is the
 * ProcessBatch event of the manifest's item i.
 */
export async function batchEnv(o: BatchEnvOptions): Promise<{
  deps: FakeDeps;
  manifest: ManifestItem[];
  event: (i: number) => ProcessBatchEvent;
}> {
  const deps = fakeDeps({
    processors: createRegistry([...builtinProcessors, ...(o.processors ?? [])]),
    secrets: new FakeSecretResolver(o.secrets),
    faults: o.faults,
    bus: o.bus,
    commands: o.commands,
  });
  const at = new Date(deps.clock.now()).toISOString();
  await deps.catalog.createDataset({ datasetId: 'ds', secretArn: o.secretArn }, at);
  await seedDataset(deps, 'ds', o.ids ?? 40, { chunk: o.chunk ?? 10, weights: o.weights });
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: o.processor },
    batching: { by: 'count', size: o.size ?? 10 },
    ...(o.leaseSeconds === undefined ? {} : { leaseSeconds: o.leaseSeconds }),
  });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental' }, 'run-1');
  const manifest = await manifestOf(deps, plan.manifestKey);
  const event = (i: number): ProcessBatchEvent => ({
    jobId: 'j',
    runId: 'run-1',
    mode: 'incremental',
    batch: manifest[i] as ManifestItem,
  });
  return { deps, manifest, event };
}
