import { describe, expect, it } from 'vitest';
import {
  familyOf,
  type LocalTaskDefinition,
  runEcsTask,
} from '../../../cli/local/engines/stepfunctions/ecs-local.ts';
import type { Json } from '../../../cli/local/engines/stepfunctions/json.ts';
import { ExecutionHistory, newLane } from '../../../cli/local/engines/stepfunctions/sfn-history.ts';

/** A container whose command is a Node script: it prints what the test asks, then exits as it asks. */
const node = (script: string): LocalTaskDefinition => ({
  command: [process.execPath, '-e', script],
  containerName: 'runner',
  environment: { FROM_DEFINITION: 'definition', OVERRIDDEN: 'definition' },
});

function scopeOf(
  taskDefinitions: Record<string, LocalTaskDefinition>,
  signal = new AbortController().signal,
) {
  const history = new ExecutionHistory([], () => undefined);
  return { history, lane: newLane(), signal, region: 'us-east-1', account: '000000000000', taskDefinitions };
}

const runTask = (family: string, environment: { Name: string; Value: string }[] = []): Json => ({
  Cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/local',
  LaunchType: 'FARGATE',
  TaskDefinition: family,
  Overrides: { ContainerOverrides: [{ Name: 'runner', Environment: environment }] },
});

describe('ecs:runTask.sync in the local engine', () => {
  it('names a family from a family, a family:revision or a task definition ARN', () => {
    expect(familyOf('batches-fargate-small')).toBe('batches-fargate-small');
    expect(familyOf('batches-fargate-small:12')).toBe('batches-fargate-small');
    expect(familyOf('arn:aws:ecs:us-east-1:123456789012:task-definition/batches-fargate-small:3')).toBe(
      'batches-fargate-small',
    );
  });

  it("runs the family's command with its environment under the task's overrides, and succeeds on exit 0", async () => {
    const check =
      "process.exit(process.env.FROM_DEFINITION === 'definition' && process.env.OVERRIDDEN === 'task' ? 0 : 9)";
    const scope = scopeOf({ ok: node(check) });
    const task = (await runEcsTask(scope, runTask('ok', [{ Name: 'OVERRIDDEN', Value: 'task' }]))) as {
      Containers: { ExitCode: number }[];
      LastStatus: string;
    };

    expect(task.LastStatus).toBe('STOPPED');
    expect(task.Containers[0]?.ExitCode).toBe(0);
    expect(scope.history.events.map((e) => e.type)).toEqual([
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
    ]);
  });

  it('fails with States.TaskFailed on a non-zero exit, the exit code in the cause', async () => {
    const scope = scopeOf({ two: node('process.exit(2)') });
    const failure = await runEcsTask(scope, runTask('two')).catch((e: Error) => e);

    expect((failure as Error).name).toBe('States.TaskFailed');
    expect(JSON.parse((failure as Error).message).Containers[0].ExitCode).toBe(2);
    expect(scope.history.events.at(-1)?.type).toBe('TaskFailed');
    expect(scope.lane.failureRecorded).toBe(true);
  });

  it('reports a container killed by a signal as 128 + the signal, as ECS does', async () => {
    const scope = scopeOf({ killed: node("process.kill(process.pid, 'SIGKILL')") });
    const failure = (await runEcsTask(scope, runTask('killed')).catch((e: Error) => e)) as Error;

    expect(JSON.parse(failure.message).Containers[0].ExitCode).toBe(137);
  });

  it('fails with an ECS error for a family it does not know', async () => {
    const failure = (await runEcsTask(scopeOf({}), runTask('nope')).catch((e: Error) => e)) as Error;

    expect(failure.name).toBe('ECS.AmazonECSException');
    expect(failure.message).toContain('nope');
  });

  it('stops the task when the execution is stopped', async () => {
    const controller = new AbortController();
    const scope = scopeOf({ forever: node('setInterval(() => undefined, 1000)') }, controller.signal);
    const running = runEcsTask(scope, runTask('forever')).catch((e: Error) => e);
    setTimeout(() => controller.abort(), 200);

    expect(((await running) as Error).name).toBe('States.Aborted');
  });
});
