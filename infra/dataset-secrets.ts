import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';
import type { DatasetConfig } from './pipeline-config.ts';

export interface DatasetSecretsProps {
  readonly datasets: readonly DatasetConfig[];
  /** Encrypts the secrets this construct creates; imported ones should use it too. */
  readonly key: IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The secrets of the data sets: imported by complete ARN, or created empty (an administrator puts the value
 * with `aws secretsmanager put-secret-value`). Only their ARNs travel: into the catalog and into the one grant
 * of ProcessBatch.
 */
export class DatasetSecrets extends Construct {
  /** datasetId -> complete secret ARN, for the data sets that have one. */
  readonly arns: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: DatasetSecretsProps) {
    super(scope, id);
    const arns = new Map<string, string>();
    for (const dataset of props.datasets) {
      if (dataset.secretArn) {
        arns.set(dataset.id, dataset.secretArn);
      } else if (dataset.createSecret) {
        const secret = new Secret(this, `Secret-${dataset.id}`, {
          secretName: `${Stack.of(this).stackName}/datasets/${dataset.id}`,
          description: `batchkeeper: credentials for data set ${dataset.id} (value put by an administrator)`,
          encryptionKey: props.key,
          removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        });
        acknowledge(
          secret,
          'AwsSolutions-SMG4',
          'Credentials of a third-party data store: its owner rotates them and an administrator puts the new value.',
        );
        arns.set(dataset.id, secret.secretArn);
      }
    }
    this.arns = arns;
  }

  get secretArns(): readonly string[] {
    return [...this.arns.values()];
  }
}
