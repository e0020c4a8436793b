import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../core/contracts/tables.ts';
import { builtinProcessors, type LoadedProcessors } from '../project/load-processors.ts';
import { BatchPipeline } from './batch-pipeline.ts';
import { DataStores, type DataStoresProps } from './data-stores.ts';
import { bundlingRoot } from './handler-function.ts';
import type { PipelineConfig } from './pipeline-config.ts';
import { deployedProcessors, processBatchEntry } from './processor-bundle.ts';

export interface BatchkeeperStackProps extends StackProps {
  /** Processors, data set secrets, schedules, alarm email (the `batchkeeper` context). */
  readonly pipeline: PipelineConfig;
  /**
   * The processors ProcessBatch runs: a user's module, as loadProjectProcessors (batchkeeper/cdk) loads it.
   * @default batchkeeper's built-in processors
   */
  readonly processors?: LoadedProcessors;
  /** @default {} (RETAIN, 30-day manifests, bus `${stackName}-events`) */
  readonly dataStores?: DataStoresProps;
}

/**
 * One deployment of batchkeeper: the stateful DataStores and the stateless BatchPipeline, and outputs named
 * after the environment variables of core/contracts/tables.ts so that the CLI can be pointed at the deployment.
 */
export class BatchkeeperStack extends Stack {
  readonly stores: DataStores;
  readonly pipeline: BatchPipeline;

  constructor(scope: Construct, id: string, props: BatchkeeperStackProps) {
    super(scope, id, props);
    // Access-log delivery by bucket policy, not by the legacy ACL (which BucketOwnerEnforced forbids).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const loaded = props.processors ?? builtinProcessors();
    // Checked before anything is built: a name the module does not export stops synth here.
    const processors = deployedProcessors(props.pipeline.processors, loaded);
    this.stores = new DataStores(this, 'DataStores', props.dataStores);
    this.pipeline = new BatchPipeline(this, 'Pipeline', {
      stores: this.stores,
      processors,
      processBatchEntry: processBatchEntry(loaded, bundlingRoot().projectRoot),
      datasets: props.pipeline.datasets,
      schedules: props.pipeline.schedules,
      alarmEmail: props.pipeline.alarmEmail,
      containers: props.pipeline.containers,
    });

    const outputs: Record<string, string> = {
      [ENV.catalogTable]: this.stores.tables.catalog.tableName,
      [ENV.inventoryTable]: this.stores.tables.inventory.tableName,
      [ENV.exceptionsTable]: this.stores.tables.exceptions.tableName,
      [ENV.dataBucket]: this.stores.dataBucket.bucketName,
      [ENV.workBucket]: this.stores.workBucket.bucketName,
      [ENV.stateMachineArn]: this.pipeline.runJob.stateMachine.stateMachineArn,
      [ENV.eventBus]: this.stores.eventBus.eventBusName,
      BATCHKEEPER_OPERATOR_POLICY_ARN: this.pipeline.operatorPolicy.policy.managedPolicyArn,
      BATCHKEEPER_SECRETS_KEY_ARN: this.stores.secretsKey.keyArn,
      BATCHKEEPER_ALARM_TOPIC_ARN: this.pipeline.monitoring.alarmTopic.topicArn,
    };
    for (const [name, value] of Object.entries(outputs)) {
      // Output ids allow only alphanumerics.
      new CfnOutput(this, name.replace(/[^A-Za-z0-9]/g, ''), {
        key: name.replace(/[^A-Za-z0-9]/g, ''),
        value,
        description: name,
      });
    }
  }
}
