/**
 * The AWS prices behind the console's cost estimate: us-east-1, on demand, as quoted on 2026-11-22 (the sources
 * are listed in bench/RESULTS.md, "Prices used", and bench/support/prices.ts). This is the one place the console
 * reads them from; docs/console.md explains what the estimate counts.
 */
export const CONSOLE_PRICES = {
  /** Step Functions Standard, per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1_000,
  /** Step Functions Express, per request (a Distributed Map child run). */
  expressRequest: 1.0 / 1_000_000,
  /** Step Functions Express, per GB-second (billed in 64 MB and 100 ms steps). */
  expressGbSecond: 0.00001667,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda x86, per GB-second (first tier). */
  lambdaGbSecond: 0.0000166667,
  /** DynamoDB on demand (Standard table class), per write request unit. */
  writeRequestUnit: 0.625 / 1_000_000,
  /** DynamoDB on demand (Standard table class), per read request unit. */
  readRequestUnit: 0.125 / 1_000_000,
} as const;

export const PRICES_AS_OF = '2026-11-22, us-east-1, on demand';

/**
 * The framework's own requests per batch and per run, as measured by `npm run bench -- bookkeeping cost`
 * (bench/RESULTS.md): 14 WRU and 20 RRU per batch (acquire, commit, Plan's reservation), one Distributed Map
 * child (one Standard transition, one Express request) per batch; a run's fixed states and Plan/Finalize reads.
 */
export const REQUESTS = {
  wruPerBatch: 14,
  rruPerBatch: 20,
  transitionsPerBatch: 1,
  transitionsPerRun: 12,
  wruPerRun: 4,
  rruPerRun: 30,
  /** Plan and Finalize: two invocations of 1 GB for about a second each. */
  fixedLambdaGbSeconds: 2,
  /** An Express child with a small definition bills the smallest memory step for the batch's duration. */
  expressGb: 64 / 1024,
} as const;
