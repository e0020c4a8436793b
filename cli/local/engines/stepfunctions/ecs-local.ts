import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { abortedError, afterQueuedEvents, stateError } from './interpreter.ts';
import type { Json } from './json.ts';
import { type ExecutionHistory, jsonText, type Lane } from './sfn-history.ts';

/**
 * `arn:aws:states:::ecs:runTask.sync` run locally without Docker: a task definition is a command run as a
 * subprocess, with the definition's environment and the task's container overrides as its environment. As on
 * AWS, the state succeeds when the essential container exits 0 and fails with States.TaskFailed otherwise, the
 * task's description (its container's exit code) as the cause; a stopped execution stops the task (SIGTERM).
 */

/** What the local engine runs for one task definition family. */
export interface LocalTaskDefinition {
  /** The container's command: the executable, then its arguments. */
  readonly command: readonly [string, ...string[]];
  /** The name the task's overrides address the container by. */
  readonly containerName: string;
  /** The container's environment, before overrides; the local process's own environment is inherited below it. */
  readonly environment?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface EcsTaskScope {
  readonly history: ExecutionHistory;
  readonly lane: Lane;
  readonly signal: AbortSignal;
  readonly region: string;
  readonly account: string;
  /** Task definitions by family. */
  readonly taskDefinitions: Readonly<Record<string, LocalTaskDefinition>>;
}

interface ContainerOverride {
  readonly Name?: string;
  readonly Command?: readonly string[];
  readonly Environment?: readonly { readonly Name: string; readonly Value: string }[];
}

interface RunTaskParameters {
  readonly Cluster?: string;
  readonly TaskDefinition?: string;
  readonly Overrides?: { readonly ContainerOverrides?: readonly ContainerOverride[] };
}

/** The family of `family`, `family:revision` or a task definition ARN. */
export function familyOf(taskDefinition: string): string {
  const name = taskDefinition.startsWith('arn:') ? (taskDefinition.split('/').at(-1) ?? '') : taskDefinition;
  return name.replace(/:\d+$/, '');
}

/** Run one task to its end; resolves with the task's description when it exited 0. */
export async function runEcsTask(scope: EcsTaskScope, input: Json): Promise<Json> {
  await afterQueuedEvents();
  if (scope.signal.aborted) throw abortedError();
  const resource = { resourceType: 'ecs', resource: 'runTask.sync' };
  const { history, lane } = scope;
  history.append(lane, 'TaskScheduled', { ...resource, region: scope.region, parameters: jsonText(input) });
  history.append(lane, 'TaskStarted', resource);
  try {
    const params = input as RunTaskParameters;
    const family = familyOf(String(params.TaskDefinition ?? ''));
    const definition = scope.taskDefinitions[family];
    if (!definition)
      throw stateError('ECS.AmazonECSException', `Unable to find task definition ${params.TaskDefinition}`);
    const taskArn = `arn:aws:ecs:${scope.region}:${scope.account}:task/local/${randomUUID().replaceAll('-', '')}`;
    const override = params.Overrides?.ContainerOverrides?.find((o) => o.Name === definition.containerName);
    const child = start(definition, override);
    history.append(lane, 'TaskSubmitted', {
      ...resource,
      output: jsonText({ Tasks: [{ TaskArn: taskArn }] }),
    });
    const exitCode = await exited(child, scope.signal);
    if (scope.signal.aborted) throw abortedError();
    const task = describe(taskArn, family, params.Cluster, definition.containerName, exitCode);
    if (exitCode !== 0) throw stateError('States.TaskFailed', JSON.stringify(task));
    history.append(lane, 'TaskSucceeded', {
      ...resource,
      output: jsonText(task),
      outputDetails: { truncated: false },
    });
    return task;
  } catch (error) {
    const { name, message } = error as Error;
    history.append(lane, 'TaskFailed', { ...resource, error: name, cause: message });
    lane.failureRecorded = true;
    throw error;
  }
}

function start(definition: LocalTaskDefinition, override: ContainerOverride | undefined): ChildProcess {
  const environment = Object.fromEntries((override?.Environment ?? []).map((e) => [e.Name, e.Value]));
  const [command, ...args] = override?.Command?.length
    ? (override.Command as readonly string[])
    : definition.command;
  return spawn(command as string, args, {
    cwd: definition.cwd,
    env: { ...process.env, ...definition.environment, ...environment },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The exit code, or 128 + the signal's number for a process killed by a signal (as a container reports it). */
function exited(child: ChildProcess, signal: AbortSignal): Promise<number> {
  const stop = () => child.kill('SIGTERM');
  signal.addEventListener('abort', stop, { once: true });
  return new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (code, killedBy) => {
      signal.removeEventListener('abort', stop);
      resolve(code ?? 128 + (killedBy ? constants.signals[killedBy] : 0));
    });
  });
}

/** The task as DescribeTasks shows a stopped one, in the PascalCase of Step Functions' ECS integration. */
function describe(taskArn: string, family: string, cluster: unknown, name: string, exitCode: number): Json {
  return {
    TaskArn: taskArn,
    ClusterArn: typeof cluster === 'string' ? cluster : 'local',
    TaskDefinitionArn: `${family}:local`,
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: [{ Name: name, ExitCode: exitCode, LastStatus: 'STOPPED' }],
  };
}
