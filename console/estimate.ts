import { CONSOLE_PRICES as P, PRICES_AS_OF, REQUESTS as R } from './prices.ts';

/** One line of an estimate: what is counted, how many, at what unit price. */
export interface CostLine {
  readonly what: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: number;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly assumptions: readonly string[];
  readonly pricesAsOf: string;
}

export interface EstimateInput {
  readonly batches: number;
  readonly items: number;
  /** ProcessBatch's memory (the processor's worker size). */
  readonly memoryMb: number;
  /** Milliseconds per item measured on the job's recent attempts, when there are any. */
  readonly msPerItem?: number;
}

/** Without history, a batch is assumed to take this per item, plus a fixed start. */
export const DEFAULT_MS_PER_ITEM = 1;
const MS_PER_BATCH = 100;

/**
 * The AWS cost of a run: Lambda GB-seconds and requests (ProcessBatch per batch, Plan and Finalize once), Step
 * Functions state transitions and Express child runs, DynamoDB request units of the bookkeeping. It leaves out
 * what the processor itself reads and writes (S3 GETs of the data, its own outputs) and the free tiers.
 * @example estimateCost({ batches: 100, items: 100_000, memoryMb: 512 })
 */
export function estimateCost(x: EstimateInput): CostEstimate {
  const msPerItem = x.msPerItem ?? DEFAULT_MS_PER_ITEM;
  const itemsPerBatch = x.batches > 0 ? x.items / x.batches : 0;
  const batchSeconds = (MS_PER_BATCH + itemsPerBatch * msPerItem) / 1000;
  const gbSeconds = x.batches * batchSeconds * (x.memoryMb / 1024) + R.fixedLambdaGbSeconds;
  const run = x.batches > 0 ? 1 : 0;
  const line = (what: string, quantity: number, unit: string, unitPrice: number): CostLine => ({
    what,
    quantity,
    unit,
    unitPrice,
    usd: quantity * unitPrice,
  });
  const lines = [
    line('Lambda compute (ProcessBatch, Plan, Finalize)', run ? gbSeconds : 0, 'GB-s', P.lambdaGbSecond),
    line('Lambda requests', x.batches + 2 * run, 'requests', P.lambdaRequest),
    line(
      'Step Functions state transitions',
      x.batches * R.transitionsPerBatch + run * R.transitionsPerRun,
      'transitions',
      P.stateTransition,
    ),
    line('Step Functions Express child runs', x.batches, 'requests', P.expressRequest),
    line(
      'Step Functions Express duration',
      x.batches * batchSeconds * R.expressGb,
      'GB-s',
      P.expressGbSecond,
    ),
    line('DynamoDB writes', x.batches * R.wruPerBatch + run * R.wruPerRun, 'WRU', P.writeRequestUnit),
    line('DynamoDB reads', x.batches * R.rruPerBatch + run * R.rruPerRun, 'RRU', P.readRequestUnit),
  ];
  return {
    lines,
    totalUsd: lines.reduce((sum, l) => sum + l.usd, 0),
    assumptions: [
      `ProcessBatch at ${x.memoryMb} MB, ${msPerItem.toFixed(2)} ms per item${x.msPerItem === undefined ? ' (no history yet: a default)' : " (the job's recent attempts)"} + ${MS_PER_BATCH} ms per batch`,
      `${R.wruPerBatch} WRU and ${R.rruPerBatch} RRU per batch, as measured by the bookkeeping bench`,
      "not counted: the processor's own reads and writes of data, S3 requests, free tiers",
    ],
    pricesAsOf: PRICES_AS_OF,
  };
}
