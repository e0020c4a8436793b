import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RunLiveness } from '../ports/index.ts';

/**
 * A run is live while its Step Functions execution is RUNNING. The run id is the execution's name, so the
 * execution ARN follows from the state machine's ARN.
 */
export class SfnRunLiveness implements RunLiveness {
  constructor(private readonly props: { sfn: SFNClient; stateMachineArn: string }) {}

  async isActive(_jobId: string, runId: string): Promise<boolean> {
    return (await this.executionStatus(runId)) === 'RUNNING';
  }

  /**
   * The status of the run's execution (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED); undefined when it has
   * none: a run started by hand (not through Step Functions) has no execution, its reservation just expires.
   */
  async executionStatus(runId: string): Promise<string | undefined> {
    const executionArn = `${this.props.stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
    try {
      return (await this.props.sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    } catch (e) {
      if ((e as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw e;
    }
  }
}
