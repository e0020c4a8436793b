import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { makeDeps } from '../core/adapters/make-deps.ts';
import type { Deps } from '../core/deps.ts';
import type { ManifestItem } from '../core/events.ts';
import { createJob } from '../core/jobs/jobs.ts';
import { planRun } from '../core/planning/plan-run.ts';
import { acquireBatch } from '../core/processing/acquire-batch.ts';
import { defaultRegistry } from '../core/processors/builtin.ts';
import { localStack } from './support/local-stack.ts';
import { RequestCounter } from './support/request-counter.ts';
import { printTable } from './support/table.ts';

const inventory = { kind: 'inventory' } as const;

/** A data set of `ids` ids, registered as chunk entries (planning by count reads no objects). */
export async function dataset(deps: Deps, id: string, ids: number) {
  await deps.catalog.createDataset({ datasetId: id }, new Date().toISOString());
  const entries = [];
  for (let n = 0; n < ids; n += 10_000) {
    entries.push({
      count: Math.min(10_000, ids - n),
      location: `s3://${deps.buckets.data}/${id}/${n}.jsonl`,
      format: 'jsonl' as const,
      weights: 1,
    });
  }
  await deps.catalog.register(id, entries, new Date().toISOString());
}

/** One planner: plan up to `per` batches, acquire (and commit) each, until the shared budget is spent. Returns starts. */
export async function planner(
  deps: Deps,
  jobId: string,
  name: string,
  budget: { left: number },
  per: number,
  commit: boolean,
) {
  const acquired: number[] = [];
  for (let round = 0; budget.left > 0; round++) {
    const plan = await planRun(deps, { jobId, mode: 'incremental', maxBatches: per }, `${name}-${round}`);
    if (plan.batches === 0) break;
    const body = await deps.objects.get(deps.buckets.work, plan.manifestKey);
    const manifest = JSON.parse(Buffer.from(body as Uint8Array).toString('utf8')) as ManifestItem[];
    for (const b of manifest) {
      const owner = `${name}-${round}`;
      const got = await acquireBatch(
        deps,
        {
          jobId,
          scope: inventory,
          start: b.start,
          owner,
          runId: owner,
          leaseMs: 600_000,
          policy: 'skip-succeeded',
        },
        b.cut,
      );
      if (got.outcome !== 'ACQUIRED') continue;
      acquired.push(b.start);
      budget.left--;
      if (commit) {
        await deps.commits.commit({
          jobId,
          scope: inventory,
          start: b.start,
          end: b.end,
          token: got.token,
          attempt: got.attempt,
          startedAt: got.startedAt,
          owner,
          runId: owner,
          configHash: 'bench',
          itemsSucceeded: b.end - b.start + 1,
          itemsExcepted: 0,
          exceptions: [],
        });
      }
    }
  }
  return acquired;
}

/**
 * `planners` concurrent planners reserve and acquire `batches` batches: a claim, as the inventory target defines
 * it (with `commit`, each is committed too, which measures whole batch lives instead).
 */
export async function claimsPerSecond(
  deps: Deps,
  jobId: string,
  planners: number,
  batches: number,
  commit = false,
) {
  const budget = { left: batches };
  const began = performance.now();
  const all = await Promise.all(
    Array.from({ length: planners }, (_, p) => planner(deps, jobId, `${jobId}-p${p}`, budget, 99, commit)),
  );
  const seconds = (performance.now() - began) / 1000;
  const starts = all.flat();
  return {
    rate: starts.length / seconds,
    claimed: starts.length,
    double: starts.length - new Set(starts).size,
  };
}

/**
 * The store's ceiling: bare conditional UpdateItem calls from `clients` concurrent clients (8 by default), on 500
 * items of partition `pk` (a fresh one for each call of the same run: the condition wants growing values).
 */
export async function rawConditionalWrites(
  doc: DynamoDBDocumentClient,
  table: string,
  n: number,
  clients = 8,
  pk = 'RAW',
) {
  let i = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (i < n) {
        const k = i++;
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { pk, sk: String(k % 500) },
            UpdateExpression: 'SET #v = :v',
            ConditionExpression: 'attribute_not_exists(#v) OR #v < :v',
            ExpressionAttributeNames: { '#v': 'v' },
            ExpressionAttributeValues: { ':v': k },
          }),
        );
      }
    }),
  );
  return n / ((performance.now() - began) / 1000);
}

export async function inventoryBench(): Promise<string> {
  const stack = await localStack('inventory');
  try {
    const counter = new RequestCounter().attach(stack.clients.ddb);
    const deps = makeDeps({
      clients: stack.clients,
      tables: stack.tables,
      buckets: stack.buckets,
      processors: defaultRegistry,
    });
    await dataset(deps, 'ds', 2_000_000);
    const rows: (string | number)[][] = [];
    for (const size of [10, 1000]) {
      const jobId = `life-${size}`;
      await createJob(deps, {
        jobId,
        datasetId: 'ds',
        processor: { name: 'noop' },
        batching: { by: 'count', size },
      });
      counter.reset();
      const done = (await planner(deps, jobId, jobId, { left: 300 }, 99, true)).length;
      rows.push([
        `life, ${size} items/batch (${done} batches)`,
        (counter.writes / done).toFixed(3),
        (counter.reads / done).toFixed(3),
      ]);
      if (size === 10) Object.assign(rows, { w: counter.writes / done, r: counter.reads / done });
    }
    const { w, r } = rows as unknown as { w: number; r: number };
    const c = await rawConditionalWrites(stack.clients.doc, stack.tables.inventory, 3000);
    for (const [jobId] of [
      ['claims-1', 1],
      ['claims-8', 8],
    ] as const) {
      await createJob(deps, {
        jobId,
        datasetId: 'ds',
        processor: { name: 'noop' },
        batching: { by: 'count', size: 100 },
      });
    }
    const one = await claimsPerSecond(deps, 'claims-1', 1, 600);
    const eight = await claimsPerSecond(deps, 'claims-8', 8, 2400);
    printTable(['measure', 'writes/batch', 'reads/batch'], rows);
    printTable(
      ['measure', 'value'],
      [
        ['claims/s, 1 planner', one.rate.toFixed(0)],
        ['claims/s, 8 planners', eight.rate.toFixed(0)],
        ['raw conditional writes/s (8 clients)', c.toFixed(0)],
        ['target 0.7 x C / W', ((0.7 * c) / w).toFixed(0)],
        ['double claims', one.double + eight.double],
      ],
    );
    return `inventory: writes_per_batch=${w.toFixed(2)} reads_per_batch=${r.toFixed(2)} claims_per_s_1=${one.rate.toFixed(0)} claims_per_s_8=${eight.rate.toFixed(0)} raw_conditional_writes_per_s=${c.toFixed(0)} double_claims=${one.double + eight.double}`;
  } finally {
    await stack.stop();
  }
}
