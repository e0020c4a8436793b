import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { WORK_PREFIXES } from '../core/contracts/s3-keys.ts';
import { TABLE_SPECS, type TableNames } from '../core/contracts/tables.ts';

export interface DataStoresProps {
  /**
   * What happens to tables, buckets and keys when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days a run's manifest and Map results are kept in the work bucket.
   * @default 30
   */
  readonly manifestRetentionDays?: number;
  /**
   * Days a replaced or deleted object version is kept (data and work buckets).
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
  /**
   * Days the outputs of sample runs are kept in the work bucket (inventory outputs are never expired).
   * @default 30
   */
  readonly sampleRetentionDays?: number;
  /**
   * Days server access logs are kept.
   * @default 365
   */
  readonly accessLogRetentionDays?: number;
  /**
   * Name of the custom event bus batchkeeper publishes to.
   * @default `${stackName}-events`
   */
  readonly eventBusName?: string;
}

export type TableRole = keyof TableNames;

/**
 * The stateful half of batchkeeper: the three tables of core/contracts/tables.ts, the data and work buckets, their
 * access-log bucket, two customer-managed keys, and the event bus. The data key encrypts tables and buckets; the
 * secrets key encrypts only the data sets' secrets, so that a grant on the one never opens the other.
 */
export class DataStores extends Construct {
  /** Encrypts the tables and the data and work buckets. */
  readonly key: Key;
  /** Encrypts the data sets' secrets (Secrets Manager); only ProcessBatch may decrypt with it. */
  readonly secretsKey: Key;
  readonly tables: Readonly<Record<TableRole, Table>>;
  /** Items of the data sets (registered into the catalog on ObjectCreated). */
  readonly dataBucket: Bucket;
  /** Manifests, outputs, sample outputs and Map results, under WORK_PREFIXES. */
  readonly workBucket: Bucket;
  readonly accessLogsBucket: Bucket;
  /**
   * Where committed batches and finished runs are published. It keeps no data, yet it lives with the stores:
   * consumers attach their rules to it by name, and those must outlive any change to the pipeline.
   */
  readonly eventBus: EventBus;

  constructor(scope: Construct, id: string, props: DataStoresProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrentVersionExpiration = Duration.days(props.noncurrentVersionDays ?? 90);

    this.key = new Key(this, 'DataKey', {
      description: 'batchkeeper: tables, data and work buckets',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.secretsKey = new Key(this, 'SecretsKey', {
      description: 'batchkeeper: data set secrets (Secrets Manager)',
      enableKeyRotation: true,
      removalPolicy,
    });

    const tables: Partial<Record<TableRole, Table>> = {};
    for (const spec of TABLE_SPECS) {
      const table = new Table(this, `${spec.role[0]?.toUpperCase()}${spec.role.slice(1)}Table`, {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        sortKey: { name: 'sk', type: AttributeType.STRING },
        billingMode: BillingMode.PAY_PER_REQUEST,
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: this.key,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
        removalPolicy,
      });
      for (const index of spec.indexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
        });
      }
      tables[spec.role] = table;
    }
    this.tables = tables as Record<TableRole, Table>;

    // No archive: the event log in the inventory table is the record; the bus only delivers.
    this.eventBus = new EventBus(this, 'EventBus', {
      eventBusName: props.eventBusName ?? `${Stack.of(this).stackName}-events`,
      description: 'batchkeeper: committed batches and finished runs',
    });

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      // Server access logs can only be delivered to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 365) }],
      removalPolicy,
    });

    this.dataBucket = new Bucket(this, 'DataBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'data/',
      lifecycleRules: [
        // Staged exceptions of attempts that died before their commit are never published nor deleted.
        { id: 'expire-staging', prefix: WORK_PREFIXES.staging, expiration: Duration.days(7) },
        {
          id: 'noncurrent',
          noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });

    // ObjectCreated reaches RegisterObjects through EventBridge. Set on the CloudFormation resource, which
    // supports it natively: the L2 `eventBridgeEnabled` would add a notifications custom resource and its Lambda.
    (this.dataBucket.node.defaultChild as CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    const manifestDays = Duration.days(props.manifestRetentionDays ?? 30);
    this.workBucket = new Bucket(this, 'WorkBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // Outputs are overwritten by retries (deterministic keys): versions keep what an earlier attempt wrote.
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'work/',
      lifecycleRules: [
        { id: 'expire-manifests', prefix: WORK_PREFIXES.manifests, expiration: manifestDays },
        { id: 'expire-map-results', prefix: WORK_PREFIXES.mapResults, expiration: manifestDays },
        {
          id: 'expire-samples',
          prefix: WORK_PREFIXES.samples,
          expiration: Duration.days(props.sampleRetentionDays ?? 30),
        },
        // Staged exceptions of attempts that died before their commit are never published nor deleted.
        { id: 'expire-staging', prefix: WORK_PREFIXES.staging, expiration: Duration.days(7) },
        {
          id: 'noncurrent',
          noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });
  }
}
