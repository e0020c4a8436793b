import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_SPECS } from '../core/contracts/tables.ts';
import type { DataStores } from './data-stores.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { keyViaStatement, tableStatements } from './policy-statements.ts';

export interface OperatorPolicyProps {
  readonly stores: DataStores;
  readonly stateMachineArn: string;
  /** ARN pattern of the state machine's executions. */
  readonly executionsArn: string;
}

/**
 * What the `batchkeeper` CLI needs on AWS to operate runs: start and watch executions, read the three tables,
 * resolve exceptions. Attach it to an operator's role or group. It cannot read secrets, decrypt through
 * Secrets Manager, or write the inventory and the catalog (the pipeline's functions own them).
 */
export class OperatorPolicy extends Construct {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    const { stores } = props;
    const statements: PolicyStatement[] = [
      new PolicyStatement({
        actions: ['states:StartExecution', 'states:ListExecutions', 'states:DescribeStateMachine'],
        resources: [props.stateMachineArn],
      }),
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'],
        resources: [props.executionsArn],
      }),
    ];
    for (const spec of TABLE_SPECS) {
      statements.push(...tableStatements(stores.tables[spec.role], spec.indexes, 'read'));
    }
    // Resolving an exception updates its status and note, nothing else.
    statements.push(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [stores.tables.exceptions.tableArn],
      }),
      keyViaStatement(stores.key, 'dynamodb', 'write'),
    );
    this.policy = new ManagedPolicy(this, 'Resource', {
      description: 'batchkeeper operator: start runs, read tables, resolve exceptions',
      statements,
    });
    acknowledgeWildcardResource(
      this.policy,
      props.executionsArn,
      'Operators watch and stop any run of this state machine; execution names are chosen per run.',
    );
  }
}
