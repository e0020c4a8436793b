import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from './nag.ts';

/** What the state machine needs to start a container flavor's task (its `${Container...}` substitutions). */
export interface ContainerTarget {
  readonly clusterArn: string;
  readonly taskFamilyPrefix: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly assignPublicIp: boolean;
  /** The task definition families the state machine may run. */
  readonly families: readonly string[];
  /** The roles it passes to ECS. */
  readonly taskRole: IRole;
  readonly executionRole: IRole;
}

/**
 * What `ecs:runTask.sync` needs of the state machine's role: run the flavors' task definitions (any revision)
 * in the one cluster, watch and stop those tasks, the managed EventBridge rule through which Step Functions
 * learns that a task stopped, and passing the task and execution roles to ECS tasks only.
 */
export function grantContainerRuns(role: IRole, target: ContainerTarget): void {
  const stack = Stack.of(role);
  const families = target.families.map((family) =>
    stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${family}:*` }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ecs:RunTask'],
      resources: families,
      conditions: { ArnEquals: { 'ecs:cluster': target.clusterArn } },
    }),
  );
  const clusterName = Arn.split(target.clusterArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName as string;
  const tasks = stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${clusterName}/*` });
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['ecs:StopTask', 'ecs:DescribeTasks'], resources: [tasks] }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForECSTaskRule',
        }),
      ],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [target.taskRole.roleArn, target.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }),
  );
  for (const arn of families)
    acknowledgeWildcardResource(
      role,
      arn,
      'A flavor runs whichever revision of its task definition is active.',
    );
  acknowledgeWildcardResource(role, tasks, 'Task ids are generated per run; only tasks of the one cluster.');
}
