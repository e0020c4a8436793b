/**
 * `batchkeeper/cdk`: the constructs and the app of a deployment. A project's CDK app is usually one line,
 * `await synthProject()`; BatchkeeperStack and BatchPipeline are there to compose by hand.
 */
export {
  type LoadedProcessors,
  loadProjectProcessors,
} from '../project/load-processors.ts';
export { buildApp, FALLBACK_ENV, synthProject } from './app.ts';
export { BatchPipeline, type BatchPipelineProps } from './batch-pipeline.ts';
export { BatchkeeperStack, type BatchkeeperStackProps } from './batchkeeper-stack.ts';
export { DataStores, type DataStoresProps } from './data-stores.ts';
export {
  type DatasetConfig,
  PipelineConfig,
  type ProcessorConfig,
  parsePipelineConfig,
  type ScheduleConfig,
} from './pipeline-config.ts';
