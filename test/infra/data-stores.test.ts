import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { WORK_PREFIXES } from '../../core/contracts/s3-keys.ts';
import { ENV, TABLE_SPECS } from '../../core/contracts/tables.ts';
import { build, logicalId } from './support.ts';

const { stack, template } = build();
const stores = stack.stores;
const keyRef = (key: typeof stores.key) => ({ 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] });

describe('DataStores', () => {
  it('declares the three tables of TABLE_SPECS, each with PITR, the data key, on-demand and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', TABLE_SPECS.length);
    for (const spec of TABLE_SPECS) {
      const table = template.toJSON().Resources[logicalId(stack, stores.tables[spec.role])];
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyRef(stores.key) },
      });
      const indexes = (table.Properties.GlobalSecondaryIndexes ?? []) as {
        IndexName: string;
        KeySchema: unknown;
      }[];
      expect(indexes.map((i) => i.IndexName).sort()).toEqual(spec.indexes.map((i) => i.indexName).sort());
      for (const index of spec.indexes) {
        expect(indexes.find((i) => i.IndexName === index.indexName)?.KeySchema).toEqual([
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ]);
      }
    }
  });

  it('rotates both customer-managed keys and keeps them on stack deletion', () => {
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('blocks public access and refuses plain HTTP on every bucket', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    for (const bucket of [stores.dataBucket, stores.workBucket, stores.accessLogsBucket]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(stack, bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('encrypts the data and work buckets with the data key, versions them and logs access', () => {
    for (const bucket of [stores.dataBucket, stores.workBucket]) {
      const props = template.toJSON().Resources[logicalId(stack, bucket)].Properties;
      expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyRef(stores.key) },
      });
      expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(props.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: logicalId(stack, stores.accessLogsBucket),
      });
    }
  });

  it('expires manifests, Map results and sample outputs after 30 days, never inventory outputs', () => {
    const rules = template.toJSON().Resources[logicalId(stack, stores.workBucket)].Properties
      .LifecycleConfiguration.Rules as { Prefix?: string; ExpirationInDays?: number }[];
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: WORK_PREFIXES.manifests, ExpirationInDays: 30, Status: 'Enabled' }),
        expect.objectContaining({
          Prefix: WORK_PREFIXES.mapResults,
          ExpirationInDays: 30,
          Status: 'Enabled',
        }),
        expect.objectContaining({ Prefix: WORK_PREFIXES.samples, ExpirationInDays: 30, Status: 'Enabled' }),
      ]),
    );
    expect(
      rules.some((r) => r.Prefix === WORK_PREFIXES.outputs || (r.Prefix === undefined && r.ExpirationInDays)),
    ).toBe(false);
  });

  it('sends ObjectCreated of the data bucket to EventBridge natively (no notification custom resource)', () => {
    const props = template.toJSON().Resources[logicalId(stack, stores.dataBucket)].Properties;
    expect(props.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('declares one custom event bus named after the stack, with no archive, and outputs its name', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Events::Archive', 0);
    const bus = logicalId(stack, stores.eventBus);
    expect(template.toJSON().Resources[bus].Properties.Name).toBe(`${stack.stackName}-events`);
    template.hasOutput(ENV.eventBus.replace(/_/g, ''), { Value: { Ref: bus }, Description: ENV.eventBus });
  });
});
