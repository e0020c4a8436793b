/**
 * AWS list prices, us-east-1, on-demand, as read on 2026-11-22 through the search tool (its `docs` and `pages`
 * corpora; no page could be opened live from this machine). Where the AWS page renders its rate table in the
 * browser, the excerpt held no number and the figure comes from the page named second.
 */
export const PRICES = {
  /** Standard workflows, per state transition: "US East (N. Virginia) $0.0250" per 1,000. */
  sfnTransition: 0.025 / 1_000,
  /** Express workflows, per request: "$1.00 per million invocations". */
  expressRequest: 1.0 / 1_000_000,
  /** Express workflows, per GB-second (first tier), duration rounded up to 100 ms, memory in 64 MB chunks. */
  expressGbSecond: 0.00001667,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda x86, per GB-second (first tier). */
  lambdaGbSecond: 0.0000166667,
  /** DynamoDB on-demand (Standard table class), per write request unit. */
  wru: 0.625 / 1_000_000,
  /** DynamoDB on-demand (Standard table class), per read request unit. */
  rru: 0.125 / 1_000_000,
  /** S3 Standard, per PUT, COPY, POST, LIST request. */
  s3Put: 0.005 / 1_000,
  /** S3 Standard, per GET, SELECT and other request. */
  s3Get: 0.0004 / 1_000,
} as const;

/** Where each price was read (see bench/RESULTS.md for the quotes). */
export const PRICE_SOURCES: Readonly<Record<keyof typeof PRICES, string>> = {
  sfnTransition: 'https://aws.amazon.com/step-functions/pricing/ (pages corpus)',
  expressRequest:
    'https://aws.amazon.com/step-functions/pricing/ (billing rules) + https://aws.amazon.com/blogs/compute/building-cost-effective-aws-step-functions-workflows/ (rate)',
  expressGbSecond:
    'https://aws.amazon.com/step-functions/pricing/ (100 ms, 64 MB rules) + https://www.wring.co/blog/aws-step-functions-pricing-guide (rate)',
  lambdaRequest:
    'https://aws.amazon.com/lambda/pricing/ (rate as quoted by api-evangelist/aws-lambda and gist allenheltondev)',
  lambdaGbSecond:
    'https://aws.amazon.com/lambda/pricing/ as encoded in artillery@2.0.28 lib/platform/aws-lambda/prices.js (docs corpus)',
  wru: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (unit rules, docs corpus) + https://airbyte.com/data-engineering-resources/dynamodb-pricing (rate after the Nov 2024 cut)',
  rru: 'same as wru',
  s3Put:
    'https://aws.amazon.com/s3/pricing/ (request classes) + https://c3x.dev/blog/s3-request-fees-explained (rate)',
  s3Get: 'same as s3Put',
};
