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
export { ContainerFlavors, type ContainerFlavorsProps } from './container-flavors.ts';
export { ContainerNetwork, type ContainerNetworkProps } from './container-network.ts';
export type { ContainerTarget } from './container-runs.ts';
export { DataStores, type DataStoresProps } from './data-stores.ts';
export {
  ContainerNetworkConfig,
  ContainersConfig,
  type DatasetConfig,
  PipelineConfig,
  type ProcessorConfig,
  parsePipelineConfig,
  type ScheduleConfig,
} from './pipeline-config.ts';
