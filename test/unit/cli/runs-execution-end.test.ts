import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { withExecutionEnd } from '../../../cli/commands/runs.ts';
import type { Run } from '../../../core/model.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:bk-run-job';

const run = (status: Run['status']): Run => ({
  jobId: 'j',
  runId: 'incremental-20261202T100000000Z-ab12',
  mode: 'incremental',
  status,
  plannedAt: '2026-12-02T10:00:00.000Z',
  configHash: 'h',
  batchesPlanned: 3,
  itemsPlanned: 30,
});

/** A Step Functions client that answers DescribeExecution from a table, and records what it was asked. */
function sfnAnswering(answer: { status?: string; error?: string }) {
  const asked: string[] = [];
  const sfn = {
    async send(command: unknown) {
      if (!(command instanceof DescribeExecutionCommand))
        throw new Error('only DescribeExecution is expected');
      asked.push(command.input.executionArn ?? '');
      if (answer.error) throw Object.assign(new Error(answer.error), { name: answer.error });
      return { status: answer.status };
    },
  };
  return { target: { stateMachineArn: STATE_MACHINE, clients: { sfn } } as never, asked };
}

describe('a run whose execution ended without Finalize', () => {
  it.each(['ABORTED', 'FAILED', 'TIMED_OUT'])(
    'shows the execution %s beside a PLANNED record',
    async (status) => {
      const { target, asked } = sfnAnswering({ status });
      expect(await withExecutionEnd(target, run('PLANNED'))).toEqual({
        ...run('PLANNED'),
        executionStatus: status,
      });
      expect(asked).toEqual([
        'arn:aws:states:eu-west-1:123456789012:execution:bk-run-job:incremental-20261202T100000000Z-ab12',
      ]);
    },
  );

  it('leaves a PLANNED run whose execution still runs, or cannot be found, as recorded', async () => {
    for (const answer of [{ status: 'RUNNING' }, { error: 'ExecutionDoesNotExist' }]) {
      const { target } = sfnAnswering(answer);
      expect(await withExecutionEnd(target, run('PLANNED'))).toEqual(run('PLANNED'));
    }
  });

  it('asks nothing about a run Finalize closed', async () => {
    const { target, asked } = sfnAnswering({ status: 'ABORTED' });
    expect(await withExecutionEnd(target, run('SUCCEEDED'))).toEqual(run('SUCCEEDED'));
    expect(asked).toEqual([]);
  });

  it('lets any other error of Step Functions through', async () => {
    const { target } = sfnAnswering({ error: 'AccessDeniedException' });
    await expect(withExecutionEnd(target, run('PLANNED'))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
