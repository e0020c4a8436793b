import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CONTAINER, CONTAINER_FLAVORS } from '../../core/contracts/flavors.ts';
import { ENV } from '../../core/contracts/tables.ts';
import {
  actions,
  build,
  grants,
  logicalId,
  resourcesOf,
  type Statement,
  TEST_CONFIG,
  type TemplateResources,
} from './support.ts';

const IMAGE_URI = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-batches:v1';
const withContainers = (containers: object) => ({ ...TEST_CONFIG, containers });

const { stack, template } = build(
  withContainers({
    flavors: ['fargate-small', 'fargate-large'],
    image: { uri: IMAGE_URI },
    processorsModule: '/app/processors.js',
  }),
);
const resources = template.toJSON().Resources as TemplateResources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const containers = stack.pipeline.containers;
if (!containers) throw new Error('the pipeline built no container flavors');
const all = grants(resources);
const statementsOf = (roleId: string) => all.filter((g) => g.owner === roleId).map((g) => g.statement);
/** A statement as a comparable text, whatever the order of its actions. */
const shape = (s: Statement) =>
  JSON.stringify({ a: [...actions(s)].sort(), r: resourcesOf(s), c: s.Condition ?? null });

describe('container flavors in the CDK app', () => {
  it('defines one Fargate task definition per flavor used, sized from core/contracts/flavors.ts', () => {
    const defs = ofType('AWS::ECS::TaskDefinition').map(([, r]) => r.Properties);
    expect(defs.map((d) => d.Family).sort()).toEqual([
      'Batchkeeper-run-job-fargate-large',
      'Batchkeeper-run-job-fargate-small',
    ]);
    for (const [flavor, size] of [
      ['fargate-small', CONTAINER_FLAVORS['fargate-small']],
      ['fargate-large', CONTAINER_FLAVORS['fargate-large']],
    ] as const) {
      const def = defs.find((d) => d.Family === `Batchkeeper-run-job-${flavor}`);
      expect(def).toMatchObject({
        Cpu: String(size.cpu),
        Memory: String(size.memoryMb),
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      });
      if (size.ephemeralStorageGiB > 21)
        expect(def?.EphemeralStorage).toEqual({ SizeInGiB: size.ephemeralStorageGiB });
      const [container] = def?.ContainerDefinitions ?? [];
      expect(container.Name).toBe(CONTAINER.name);
      expect(container.Essential).toBe(true);
      expect(container.LogConfiguration.LogDriver).toBe('awslogs');
      const env = Object.fromEntries(
        container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]),
      );
      expect(env[CONTAINER.env.flavor]).toBe(flavor);
      expect(env[CONTAINER.env.processorsModule]).toBe('/app/processors.js');
      expect(Object.keys(env)).toEqual(expect.arrayContaining(Object.values(ENV)));
    }
  });

  it('grants the task role exactly what the ProcessBatch Lambda is granted, nothing more', () => {
    const task = statementsOf(logicalId(stack, containers.taskRole)).map(shape).sort();
    const lambda = statementsOf(logicalId(stack, stack.pipeline.functions.processBatch.role))
      .map(shape)
      .filter((s) => !s.includes('xray:') && !s.includes('logs:'))
      .sort();
    expect(task).toEqual(lambda);
    expect(task.some((s) => s.includes('secretsmanager:GetSecretValue'))).toBe(true);
  });

  it('lets the execution role pull the one image and write the one log group, and touch no data', () => {
    const execution = statementsOf(logicalId(stack, containers.executionRole));
    const granted = execution.flatMap(actions).sort();
    expect(granted).toEqual(
      [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:GetAuthorizationToken',
        'ecr:GetDownloadUrlForLayer',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
    const pull = execution.find((s) => actions(s).includes('ecr:BatchGetImage'));
    expect(JSON.stringify(pull?.Resource)).toContain('repository/my-batches');
  });

  it('routes the state machine to the flavors: Standard children, the cluster, the subnets, the family prefix', () => {
    const subs = stack.pipeline.runJob.definitionSubstitutions;
    expect(stack.pipeline.childExecutionType).toBe('STANDARD');
    expect(subs.ContainerTaskFamilyPrefix).toBe('Batchkeeper-run-job-');
    expect(subs.ContainerAssignPublicIp).toBe('DISABLED');
    const [cluster] = ofType('AWS::ECS::Cluster');
    expect(cluster?.[1].Properties.ClusterSettings).toEqual([
      { Name: 'containerInsights', Value: 'enabled' },
    ]);
    expect(stack.resolve(subs.ContainerClusterArn)).toEqual({ 'Fn::GetAtt': [cluster?.[0], 'Arn'] });
  });

  it("lets the state machine run only the flavors' task definitions in its cluster, watch them and pass the two roles", () => {
    const sfn = statementsOf(logicalId(stack, stack.pipeline.runJob.stateMachine.role));
    const run = sfn.find((s) => actions(s).includes('ecs:RunTask'));
    expect(JSON.stringify(run?.Resource)).toContain('task-definition/Batchkeeper-run-job-fargate-small:*');
    expect(resourcesOf(run as Statement)).toHaveLength(2);
    expect(run?.Condition?.ArnEquals?.['ecs:cluster']).toBeDefined();
    const watch = sfn.find((s) => actions(s).includes('ecs:DescribeTasks'));
    expect(actions(watch as Statement).sort()).toEqual(['ecs:DescribeTasks', 'ecs:StopTask']);
    const rule = sfn.find((s) => actions(s).includes('events:PutRule'));
    expect(JSON.stringify(rule?.Resource)).toContain('rule/StepFunctionsGetEventsForECSTaskRule');
    const pass = sfn.find((s) => actions(s).includes('iam:PassRole'));
    expect(resourcesOf(pass as Statement)).toHaveLength(2);
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });

  it('creates a private network without NAT: isolated subnets, gateway and interface endpoints, no inbound rule', () => {
    expect(ofType('AWS::EC2::NatGateway')).toHaveLength(0);
    expect(ofType('AWS::EC2::InternetGateway')).toHaveLength(0);
    expect(ofType('AWS::EC2::Subnet')).toHaveLength(2);
    const endpoints = ofType('AWS::EC2::VPCEndpoint').map(
      ([, r]) => r.Properties.VpcEndpointType ?? 'Gateway',
    );
    expect(endpoints.filter((t) => t === 'Gateway')).toHaveLength(2);
    expect(endpoints.filter((t) => t === 'Interface')).toHaveLength(5);
    const tasksGroup = ofType('AWS::EC2::SecurityGroup').find(([, r]) =>
      String(r.Properties.GroupDescription).startsWith('batchkeeper container workers'),
    );
    expect(tasksGroup?.[1].Properties.SecurityGroupIngress).toBeUndefined();
    expect(ofType('AWS::EC2::FlowLog')).toHaveLength(1);
  });

  it("uses the user's subnets, security groups and cluster when given, and creates neither network nor cluster", () => {
    const clusterArn = 'arn:aws:ecs:us-east-1:123456789012:cluster/shared';
    const own = build(
      withContainers({
        flavors: ['fargate-medium'],
        image: { uri: 'public.ecr.aws/acme/batches:1' },
        network: {
          subnetIds: ['subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
          assignPublicIp: true,
        },
        clusterArn,
      }),
    );
    const types = Object.values(own.template.toJSON().Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );
    expect(types).not.toContain('AWS::EC2::VPC');
    expect(types).not.toContain('AWS::ECS::Cluster');
    const subs = own.stack.pipeline.runJob.definitionSubstitutions;
    expect(subs.ContainerClusterArn).toBe(clusterArn);
    expect(own.stack.resolve(subs.ContainerSubnetIds)).toBe('subnet-0123456789abcdef0');
    expect(own.stack.resolve(subs.ContainerSecurityGroupIds)).toBe('sg-0123456789abcdef0');
    expect(subs.ContainerAssignPublicIp).toBe('ENABLED');
    expect(describeNag(own.stack)).toBe('');
  });

  it('adds nothing of ECS to a deployment without container flavors, and keeps its children as they were', () => {
    const bare = build(TEST_CONFIG);
    const types = Object.values(bare.template.toJSON().Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );
    expect(types.filter((t) => t.startsWith('AWS::ECS::') || t.startsWith('AWS::EC2::'))).toEqual([]);
    const granted = grants(bare.template.toJSON().Resources).flatMap((g) => actions(g.statement));
    expect(granted.filter((a) => a.startsWith('ecs:') || a === 'iam:PassRole')).toEqual([]);
    expect(bare.stack.pipeline.childExecutionType).toBe('EXPRESS');
  });

  it('is cdk-nag clean', () => {
    expect(describeNag(stack)).toBe('');
  });

  it('refuses a container config with an unknown flavor or a malformed subnet, naming the field', () => {
    expect(() => build(withContainers({ flavors: ['huge'], image: { uri: IMAGE_URI } }))).toThrow(
      /batchkeeper\.containers\.flavors\.0: must be one of fargate-small/,
    );
    expect(() =>
      build(
        withContainers({
          flavors: ['fargate-small'],
          image: { uri: IMAGE_URI },
          network: { subnetIds: ['my-subnet'], securityGroupIds: ['sg-0123456789abcdef0'] },
        }),
      ),
    ).toThrow(/batchkeeper\.containers\.network\.subnetIds\.0: must be a subnet id/);
  });
});

function describeNag(scope: import('constructs').IConstruct): string {
  return new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)
    .join('\n');
}
