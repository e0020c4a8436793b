import { readFileSync } from 'node:fs';
import { ArnFormat, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { FUNCTIONS } from '../core/contracts/functions.ts';
import { MAP_RESULTS_WRITER_PREFIX, WORK_PREFIXES } from '../core/contracts/s3-keys.ts';
import { type ContainerTarget, grantContainerRuns } from './container-runs.ts';
import { acknowledge, acknowledgeWildcardResource } from './nag.ts';
import { keyViaStatement, objectArn, objectStatement } from './policy-statements.ts';
import { distributedMapLabels, RUN_JOB_ASL_PATH } from './run-job-definition.ts';

/** ARNs of a state machine and of its executions, built from its name so that nothing refers back to it. */
export function stateMachineArns(scope: IConstruct, name: string) {
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return {
    stateMachine: arn('stateMachine', name),
    /** Executions started by users, schedules and the CLI. */
    executions: arn('execution', `${name}:*`),
    /** Child executions of one Distributed Map, named `<state machine>/<label>:<id>`. */
    mapChildren: (label: string) => arn('execution', `${name}/${label}:*`),
  };
}

export interface RunJobStateMachineProps {
  readonly stateMachineName: string;
  readonly planRun: IFunction;
  readonly processBatch: IFunction;
  readonly recordFailure: IFunction;
  readonly finalizeRun: IFunction;
  readonly workBucket: IBucket;
  /** The key of the work bucket. */
  readonly workBucketKey: IKey;
  readonly childExecutionType: 'EXPRESS' | 'STANDARD';
  /** Where container flavors run. @default none: RouteBatch never leaves the Lambda path */
  readonly containers?: ContainerTarget;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * The Standard workflow of statemachines/run-job.asl.json, loaded as a string (inline in the template) with
 * its placeholders substituted. CDK adds no invoke grants to a definition it did not build: they are here.
 */
export class RunJobStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly definitionSubstitutions: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RunJobStateMachineProps) {
    super(scope, id);
    const definition = readFileSync(RUN_JOB_ASL_PATH, 'utf8');
    const arns = stateMachineArns(this, props.stateMachineName);
    this.definitionSubstitutions = {
      [FUNCTIONS.planRun.placeholder]: props.planRun.functionArn,
      [FUNCTIONS.processBatch.placeholder]: props.processBatch.functionArn,
      [FUNCTIONS.recordFailure.placeholder]: props.recordFailure.functionArn,
      [FUNCTIONS.finalizeRun.placeholder]: props.finalizeRun.functionArn,
      ChildExecutionType: props.childExecutionType,
      WorkBucketName: props.workBucket.bucketName,
      MapResultsPrefix: MAP_RESULTS_WRITER_PREFIX,
      ...containerSubstitutions(this, props.stateMachineName, props.containers),
    };
    this.logGroup = new LogGroup(this, 'Logs', {
      // The vendedlogs prefix keeps Step Functions' log delivery clear of the resource policy size limit.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'Resource', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: this.definitionSubstitutions,
      // ALL events for timings; never the execution data, which may carry item ids and error causes.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });

    const role = this.stateMachine.role;
    const functions = [props.planRun, props.processBatch, props.recordFailure, props.finalizeRun];
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: functions.map((f) => f.functionArn),
      }),
    );
    // ItemReader: the manifest; ResultWriter: the children's outputs.
    role.addToPrincipalPolicy(objectStatement(props.workBucket, WORK_PREFIXES.manifests, ['s3:GetObject']));
    role.addToPrincipalPolicy(
      objectStatement(props.workBucket, WORK_PREFIXES.mapResults, [
        's3:PutObject',
        's3:GetObject',
        's3:ListMultipartUploadParts',
        's3:AbortMultipartUpload',
      ]),
    );
    role.addToPrincipalPolicy(keyViaStatement(props.workBucketKey, 's3', 'write'));
    // A Distributed Map starts its children as executions of this very state machine.
    const children = distributedMapLabels(JSON.parse(definition)).map((label) => arns.mapChildren(label));
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['states:StartExecution'], resources: [arns.stateMachine] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: children,
      }),
    );

    if (props.containers) grantContainerRuns(role, props.containers);

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Log delivery (logs:*LogDelivery, DescribeLogGroups, resource policies) and X-Ray accept no resource ARNs.',
    );
    acknowledgeWildcardResource(
      role,
      objectArn(props.workBucket, WORK_PREFIXES.manifests),
      'The ItemReader reads the manifest of any run; manifest keys are per run and only the prefix is fixed.',
    );
    acknowledgeWildcardResource(
      role,
      objectArn(props.workBucket, WORK_PREFIXES.mapResults),
      'The ResultWriter writes under a prefix; Step Functions names the objects per Map Run.',
    );
    for (const child of children) {
      acknowledgeWildcardResource(
        role,
        child,
        "Child executions of this state machine's Distributed Map: their ids are generated per Map Run.",
      );
    }
  }
}

/**
 * The `${Container...}` placeholders. Without container flavors they still get values (the definition is one
 * file), well-formed but naming nothing: no manifest item carries a flavor, so the container Task never runs.
 */
function containerSubstitutions(
  scope: IConstruct,
  stateMachineName: string,
  target: ContainerTarget | undefined,
): Record<string, string> {
  if (!target) {
    return {
      ContainerClusterArn: Stack.of(scope).formatArn({
        service: 'ecs',
        resource: 'cluster',
        resourceName: 'none',
      }),
      ContainerTaskFamilyPrefix: `${stateMachineName}-`,
      ContainerSubnetIds: 'none',
      ContainerSecurityGroupIds: 'none',
      ContainerAssignPublicIp: 'DISABLED',
    };
  }
  return {
    ContainerClusterArn: target.clusterArn,
    ContainerTaskFamilyPrefix: target.taskFamilyPrefix,
    ContainerSubnetIds: Fn.join(',', [...target.subnetIds]),
    ContainerSecurityGroupIds: Fn.join(',', [...target.securityGroupIds]),
    ContainerAssignPublicIp: target.assignPublicIp ? 'ENABLED' : 'DISABLED',
  };
}
