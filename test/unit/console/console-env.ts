import { z } from 'zod';
import type { ConsoleBackend } from '../../../console/api/backend.ts';
import { type ConsoleServer, startConsole } from '../../../console/server.ts';
import { ItemRejectedError } from '../../../core/errors.ts';
import type { RunInput } from '../../../core/events.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import type { Run } from '../../../core/model.ts';
import { planRun } from '../../../core/planning/plan-run.ts';
import { processBatch } from '../../../core/processing/process-batch.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import { finalizeRun } from '../../../core/runs/finalize-run.ts';
import { JsonObject } from '../../../core/validation.ts';
import { type FakeDeps, fakeDeps } from '../../support/fakes/fake-deps.ts';
import { manifestOf } from '../../support/inventory-checks.ts';
import { quietWorker, seedDataset } from '../../support/seed-data.ts';

/** Sets odd items aside: `triple` when the id is a multiple of 3, `odd` otherwise. */
const oddOut = defineProcessor({
  name: 'odd-out',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    if (id % 2 === 1) throw new ItemRejectedError(id % 3 === 0 ? 'triple' : 'odd', { reason: 'odd id' });
    return { ok: true };
  },
});

export interface ConsoleEnv {
  readonly deps: FakeDeps;
  readonly server: ConsoleServer;
  readonly started: RunInput[];
  /** A call to the API with the token (unless `token` says otherwise) and, for a body, the JSON type. */
  api(
    path: string,
    o?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; doc: Record<string, unknown> & { error?: Record<string, unknown> } }>;
  stop(): Promise<void>;
}

/**
 * Job `j` over data set `ds` of 100 ids in batches of 10 on the port fakes; run-1 processed ids 1-60 (6 batches)
 * and set the 30 odd ones aside (10 `triple`, 20 `odd`); 61-100 were never processed. The console serves it with
 * a backend that records the runs it is asked to start.
 */
export async function consoleEnv(): Promise<ConsoleEnv> {
  const deps = fakeDeps({ processors: createRegistry([...builtinProcessors, oddOut]) });
  await seedDataset(deps, 'ds', 100, { chunk: 50 });
  await createJob(deps, {
    jobId: 'j',
    datasetId: 'ds',
    processor: { name: 'odd-out' },
    batching: { by: 'count', size: 10 },
  });
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', maxBatches: 6 }, 'run-1');
  for (const batch of await manifestOf(deps, plan.manifestKey))
    await processBatch(deps, { jobId: 'j', runId: 'run-1', mode: 'incremental', batch }, quietWorker('w'));
  await finalizeRun(deps, { jobId: 'j', runId: 'run-1' });
  deps.clock.advance(1000);
  return serveConsole(deps);
}

/** The console over any fakes, with a backend that records the runs it is asked to start. */
export async function serveConsole(deps: FakeDeps): Promise<ConsoleEnv> {
  const started: RunInput[] = [];
  const backend: ConsoleBackend = {
    kind: 'local',
    region: 'us-east-1',
    deps,
    async startRun(input) {
      started.push(input);
      return {
        jobId: input.jobId,
        runId: 'run-2',
        executionArn: 'arn:x',
        input,
        startDate: '2026-01-01T00:00:00.000Z',
      };
    },
    executionEnd: async (run: Run) => run,
  };
  const server = await startConsole({
    backend,
    assets: { html: '<!doctype html><title>t</title>', js: '', css: '' },
  });
  return {
    deps,
    server,
    started,
    async api(path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token !== null) headers['x-batchkeeper-token'] = o.token ?? server.token;
      if (o.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
        method: o.body === undefined ? 'GET' : 'POST',
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      });
      return { status: res.status, doc: (await res.json()) as never };
    },
    stop: () => server.close(),
  };
}
