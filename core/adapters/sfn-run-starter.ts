import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RunStarter, StartedRunInput } from '../ports/index.ts';

/**
 * Runs started as executions of the run-job state machine, named by their run id. A name used before answers
 * `exists` (Step Functions keeps a Standard execution's name for 90 days): a repeated start is no second run.
 */
export class SfnRunStarter implements RunStarter {
  constructor(private readonly props: { sfn: Pick<SFNClient, 'send'>; stateMachineArn: string }) {}

  async start(name: string, input: StartedRunInput): Promise<'started' | 'exists'> {
    try {
      await this.props.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.props.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return 'started';
    } catch (e) {
      if ((e as { name?: string }).name === 'ExecutionAlreadyExists') return 'exists';
      throw e;
    }
  }
}
