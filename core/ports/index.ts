// The ports of the core: one small interface per responsibility, each with a DynamoDB, S3 or Secrets Manager
// adapter in core/adapters/ and an in-memory fake in test/support/fakes/.
export * from './attempt-store.ts';
export * from './batch-store.ts';
export * from './catalog-store.ts';
export * from './command-host.ts';
export * from './commit-store.ts';
export * from './common.ts';
export * from './cut-store.ts';
export * from './event-bus.ts';
export * from './event-log.ts';
export * from './exception-store.ts';
export * from './job-store.ts';
export * from './lease-store.ts';
export * from './object-store.ts';
export * from './publish-store.ts';
export * from './run-liveness.ts';
export * from './run-starter.ts';
export * from './run-store.ts';
export * from './secret-resolver.ts';
export * from './split-store.ts';
