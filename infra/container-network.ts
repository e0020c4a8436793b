import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ContainerNetworkProps {
  /** @default RetentionDays.ONE_MONTH (the flow log of rejected traffic) */
  readonly logRetention?: RetentionDays;
}

/**
 * A network of its own for the container flavors' tasks: two private isolated subnets (no NAT gateway, no
 * public IP, no route to the internet), and VPC endpoints for what a worker reaches: S3 and DynamoDB (gateway
 * endpoints, free), ECR and CloudWatch Logs (to pull the image and ship its logs), Secrets Manager (data sets'
 * secrets) and EventBridge (the commit's event). The tasks' security group takes no inbound traffic.
 */
export class ContainerNetwork extends Construct {
  readonly vpc: Vpc;
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: ContainerNetworkProps = {}) {
    super(scope, id);
    const flowLogs = new LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc = new Vpc(this, 'Vpc', {
      // Resolved at deploy time: a synth without credentials has no zones to look up.
      availabilityZones: [0, 1].map((i) => Fn.select(i, Fn.getAzs())),
      natGateways: 0,
      subnetConfiguration: [{ name: 'workers', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
      flowLogs: {
        rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: FlowLogTrafficType.REJECT,
        },
      },
    });
    this.vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3 });
    this.vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB });
    this.securityGroup = new SecurityGroup(this, 'Tasks', {
      vpc: this.vpc,
      description:
        'batchkeeper container workers: no inbound; outbound only inside the VPC and to its endpoints',
      allowAllOutbound: true,
    });
    // The interface endpoints answer the tasks only (HTTPS), not the whole VPC.
    const endpoints = new SecurityGroup(this, 'Endpoints', {
      vpc: this.vpc,
      description: 'batchkeeper VPC endpoints: HTTPS from the container workers only',
      allowAllOutbound: false,
    });
    endpoints.addIngressRule(Peer.securityGroupId(this.securityGroup.securityGroupId), Port.tcp(443));
    const interfaces = {
      Ecr: InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Events: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
    };
    for (const [name, service] of Object.entries(interfaces))
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        securityGroups: [endpoints],
        open: false,
      });
  }
}
