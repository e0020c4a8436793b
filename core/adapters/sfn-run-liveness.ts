import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RunLiveness } from '../ports/index.ts';

/**
 * A run is live while its Step Functions execution is RUNNING. The run id is the execution's name, so the
 * execution ARN follows from the state machine's ARN.
 */
export class SfnRunLiveness implements RunLiveness {
  constructor(private readonly props: { sfn: SFNClient; stateMachineArn: string }) {}

  async isActive(_jobId: string, runId: string): Promise<boolean> {
    const executionArn = `${this.props.stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
    try {
      const out = await this.props.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING';
    } catch (e) {
      // A run started by hand (not through Step Functions) has no execution: its reservation just expires.
      if ((e as { name?: string }).name === 'ExecutionDoesNotExist') return false;
      throw e;
    }
  }
}
