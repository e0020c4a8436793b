/**
 * `batchkeeper`: what a user's processors module imports. Everything here is stable API; the rest of the package
 * is reached through `batchkeeper/cdk`, `batchkeeper/local` and `batchkeeper/testing` (docs/processors.md).
 */

export { z } from 'zod';
export {
  BatchkeeperError,
  CommandFailedError,
  CommandOutputError,
  ItemRejectedError,
  ProcessorModuleError,
  RetryableError,
  UnknownProcessorError,
  ValidationError,
  type Violation,
} from './errors.ts';
export { type BatchDescriptor, WORK_FILES } from './processing/command-files.ts';
export { type TestBatchInput, type TestBatchResult, testProcessor } from './processing/test-processor.ts';
export { addressNormalizer } from './processors/address/normalize-address.ts';
export {
  type CommandSpec,
  DESCRIPTOR_ENV,
  RETRY_EXIT_CODE,
  WORK_DIR_ENV,
} from './processors/command-spec.ts';
export {
  type CommandProcessorDefinition,
  defineCommandProcessor,
  isCommandProcessor,
} from './processors/define-command-processor.ts';
export {
  type AnyProcessor,
  type BatchContext,
  type BatchLog,
  type BatchSummary,
  defineProcessor,
  type ItemContext,
  type ItemParseResult,
  isProcessor,
  type Processor,
  type ProcessorDefinition,
  WORKER_SIZES,
  type WorkerLimits,
  type WorkerSize,
} from './processors/define-processor.ts';
export { noop } from './processors/noop.ts';
export { createRegistry, type ProcessorRegistry, registryFromModule } from './processors/registry.ts';
