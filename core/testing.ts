/** `batchkeeper/testing`: run a processor over a batch in memory, in a user's unit tests. */
export {
  type TestBatchInput,
  type TestBatchResult,
  testProcessor,
} from './processing/test-processor.ts';
