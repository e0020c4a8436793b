import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  CfnCluster,
  ContainerImage,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDriver,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  CONTAINER,
  CONTAINER_FLAVORS,
  type ContainerFlavorName,
  taskFamilyOf,
} from '../core/contracts/flavors.ts';
import { ContainerNetwork } from './container-network.ts';
import type { ContainerTarget } from './container-runs.ts';
import type { DataStores } from './data-stores.ts';
import { acknowledge } from './nag.ts';
import type { ContainersConfig } from './pipeline-config.ts';
import { grantBatchWorker } from './worker-access.ts';

export interface ContainerFlavorsProps {
  /** The flavors, image, processors module, network and cluster (`batchkeeper.containers` of the context). */
  readonly config: ContainersConfig;
  readonly stores: DataStores;
  /** The data sets' secrets: the workers read them as the ProcessBatch Lambda does. */
  readonly secretArns: readonly string[];
  /** Resource names, as ProcessBatch gets them (PipelineFunctions.workerEnvironment). */
  readonly environment: Readonly<Record<string, string>>;
  /** Task definition families are this prefix and the flavor's name. */
  readonly taskFamilyPrefix: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The container flavors of a deployment: one Fargate task definition per flavor used, sized from
 * core/contracts/flavors.ts, each running the image's entrypoint (the batch runner) with the flavor in its
 * environment. One task role, granted exactly what the ProcessBatch Lambda is (worker-access.ts); one execution
 * role, which pulls the image and writes the logs. The cluster and the network are the user's when the config
 * names them, else created here (a cluster with Container Insights; a ContainerNetwork).
 */
export class ContainerFlavors extends Construct {
  readonly taskRole: Role;
  readonly executionRole: Role;
  readonly taskDefinitions: Readonly<Partial<Record<ContainerFlavorName, FargateTaskDefinition>>>;
  readonly logGroup: LogGroup;
  readonly network?: ContainerNetwork;
  readonly target: ContainerTarget;

  constructor(scope: Construct, id: string, props: ContainerFlavorsProps) {
    super(scope, id);
    const { config } = props;
    this.taskRole = new Role(this, 'TaskRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'batchkeeper container workers: what ProcessBatch may do, nothing more',
    });
    grantBatchWorker(this.taskRole, { stores: props.stores, secretArns: props.secretArns });
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'batchkeeper container workers: pull the image, write the logs',
    });
    acknowledge(
      this.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken accepts no resource ARN; image pulls are granted on the one repository.',
    );
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const image = imageOf(this, config.image, config.architecture);
    const definitions: Partial<Record<ContainerFlavorName, FargateTaskDefinition>> = {};
    for (const flavor of new Set(config.flavors)) {
      definitions[flavor] = this.taskDefinition(flavor, image, props);
    }
    this.taskDefinitions = definitions;

    if (!config.network)
      this.network = new ContainerNetwork(this, 'Network', { logRetention: props.logRetention });
    const network = config.network ?? networkOf(this.network as ContainerNetwork);
    this.target = {
      clusterArn: config.clusterArn ?? this.createdCluster(),
      taskFamilyPrefix: props.taskFamilyPrefix,
      subnetIds: network.subnetIds,
      securityGroupIds: network.securityGroupIds,
      assignPublicIp: network.assignPublicIp ?? false,
      families: Object.keys(definitions).map((f) =>
        taskFamilyOf(props.taskFamilyPrefix, f as ContainerFlavorName),
      ),
      taskRole: this.taskRole,
      executionRole: this.executionRole,
    };
  }

  private taskDefinition(
    flavor: ContainerFlavorName,
    image: ContainerImage,
    props: ContainerFlavorsProps,
  ): FargateTaskDefinition {
    const size = CONTAINER_FLAVORS[flavor];
    const definition = new FargateTaskDefinition(this, `Flavor-${flavor}`, {
      family: taskFamilyOf(props.taskFamilyPrefix, flavor),
      cpu: size.cpu,
      memoryLimitMiB: size.memoryMb,
      ephemeralStorageGiB: size.ephemeralStorageGiB,
      taskRole: this.taskRole,
      executionRole: this.executionRole,
      runtimePlatform: {
        cpuArchitecture:
          props.config.architecture === 'arm64' ? CpuArchitecture.ARM64 : CpuArchitecture.X86_64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });
    const module = props.config.processorsModule;
    definition.addContainer(CONTAINER.name, {
      containerName: CONTAINER.name,
      image,
      essential: true,
      environment: {
        ...props.environment,
        [CONTAINER.env.flavor]: flavor,
        ...(module === undefined ? {} : { [CONTAINER.env.processorsModule]: module }),
      },
      logging: LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: flavor }),
    });
    acknowledge(
      definition,
      'AwsSolutions-ECS2',
      'The environment holds resource names and the flavor only; secrets are read at run time by ARN.',
    );
    return definition;
  }

  private createdCluster(): string {
    const cluster = new CfnCluster(this, 'Cluster', {
      clusterSettings: [{ name: 'containerInsights', value: 'enabled' }],
    });
    return cluster.attrArn;
  }
}

/** The subnets and security group of a created network, as a user's network is given. */
function networkOf(network: ContainerNetwork) {
  return {
    subnetIds: network.vpc.isolatedSubnets.map((s) => s.subnetId),
    securityGroupIds: [network.securityGroup.securityGroupId],
    assignPublicIp: false,
  };
}

/** The image: built by CDK from a folder with a Dockerfile, or pulled by URI (an ECR URI gets a pull grant). */
function imageOf(
  scope: Construct,
  image: ContainersConfig['image'],
  architecture: ContainersConfig['architecture'],
): ContainerImage {
  if ('directory' in image) {
    const platform = architecture === 'arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64;
    return ContainerImage.fromAsset(image.directory, { platform });
  }
  const ecr = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)(?::([^@]+))?$/.exec(image.uri);
  if (!ecr) return ContainerImage.fromRegistry(image.uri);
  const [, account, region, name, tag] = ecr as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const arn = Stack.of(scope).formatArn({
    account,
    region,
    service: 'ecr',
    resource: 'repository',
    resourceName: name,
  });
  return ContainerImage.fromEcrRepository(
    Repository.fromRepositoryAttributes(scope, 'Image', { repositoryArn: arn, repositoryName: name }),
    tag ?? 'latest',
  );
}
