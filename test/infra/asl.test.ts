import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTAINER, CONTAINER_TASK_TIMEOUT_SECONDS } from '../../core/contracts/flavors.ts';
import { WORKER_SIZES } from '../../core/contracts/functions.ts';
import * as errors from '../../core/errors.ts';
import { CHILD_ATTEMPTS, CHILD_OVERHEAD_SECONDS } from '../../infra/pipeline-config.ts';
import { distributedMapLabels, placeholdersOf, RUN_JOB_ASL_PATH } from '../../infra/run-job-definition.ts';

type Validator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as Validator;

const MACHINES_DIR = fileURLToPath(new URL('../../statemachines/', import.meta.url));
const machineFiles = readdirSync(MACHINES_DIR).filter((f) => f.endsWith('.asl.json'));

/** What CDK substitutes, with plausible values, so that the validator sees a deployable definition. */
const SAMPLE_VALUES: Record<string, string> = {
  PlanRunFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:plan-run',
  ProcessBatchFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:process-batch',
  RecordFailureFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:record-failure',
  FinalizeRunFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:finalize-run',
  ChildExecutionType: 'EXPRESS',
  WorkBucketName: 'batchkeeper-work',
  MapResultsPrefix: 'map-results',
  ContainerClusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/batchkeeper',
  ContainerTaskFamilyPrefix: 'batchkeeper-',
  ContainerSubnetIds: 'subnet-0a,subnet-0b',
  ContainerSecurityGroupIds: 'sg-0a',
  ContainerAssignPublicIp: 'DISABLED',
};

type State = Record<string, unknown> & { Type: string };
/** Every state of a definition, nested Map and Parallel states included. */
function allStates(definition: { States: Record<string, State> }): [string, State][] {
  const out: [string, State][] = [];
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      out.push([name, state]);
      const processor = (state.ItemProcessor ?? state.Iterator) as
        | { States: Record<string, State> }
        | undefined;
      if (processor) visit(processor.States);
      for (const branch of (state.Branches as { States: Record<string, State> }[] | undefined) ?? [])
        visit(branch.States);
    }
  };
  visit(definition.States);
  return out;
}

const runJobText = readFileSync(RUN_JOB_ASL_PATH, 'utf8');
const substituted = (text: string) =>
  text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => SAMPLE_VALUES[name] ?? '');
const runJob = JSON.parse(substituted(runJobText)) as { States: Record<string, State> };
const states = new Map(allStates(runJob));
const state = (name: string) => {
  const s = states.get(name);
  if (!s) throw new Error(`no state ${name}`);
  return s;
};

describe('statemachines/*.asl.json', () => {
  it.each(machineFiles)('%s uses only error names that core/errors.ts exports', (file) => {
    const text = readFileSync(`${MACHINES_DIR}${file}`, 'utf8');
    const definition = JSON.parse(substituted(text)) as { States: Record<string, State> };
    const names = new Set<string>();
    for (const [, s] of allStates(definition)) {
      for (const rule of [...((s.Retry as object[]) ?? []), ...((s.Catch as object[]) ?? [])]) {
        for (const name of (rule as { ErrorEquals: string[] }).ErrorEquals) names.add(name);
      }
      if (s.Type === 'Fail' && typeof s.Error === 'string') names.add(s.Error);
    }
    // Errors of AWS services (Lambda's, ECS's) are theirs; every other name is one of ours.
    const custom = [...names].filter((n) => !/^(States|Lambda|ECS|AmazonECS)\./.test(n));
    expect(custom.length).toBeGreaterThan(0);
    for (const name of custom) {
      const exported = (errors as Record<string, unknown>)[name];
      expect(typeof exported, `${name} is not exported from core/errors.ts`).toBe('function');
      expect((exported as { name: string }).name).toBe(name);
    }
  });

  it.each(machineFiles)('%s passes asl-validator once its placeholders are filled', (file) => {
    const text = readFileSync(`${MACHINES_DIR}${file}`, 'utf8');
    for (const name of placeholdersOf(text))
      expect(SAMPLE_VALUES, `no sample for \${${name}}`).toHaveProperty(name);
    const result = aslValidator(JSON.parse(substituted(text)));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });
});

describe('run-job.asl.json', () => {
  it('uses plain JSONPath that the local interpreter runs: no JSONata, no Assign', () => {
    expect(runJobText).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments"|\{%/);
  });

  it('gives every Task a TimeoutSeconds', () => {
    const tasks = [...states].filter(([, s]) => s.Type === 'Task');
    expect(tasks.map(([n]) => n).sort()).toEqual([
      'Finalize',
      'Plan',
      'ProcessBatch',
      'ProcessBatchOnContainer',
      'RecordFailure',
    ]);
    for (const [name, s] of tasks) expect(s.TimeoutSeconds, name).toBeTypeOf('number');
  });

  it('lets a bad input fail the execution with its typed error: Plan has no Catch', () => {
    expect(state('Plan').Catch).toBeUndefined();
    const retried = (state('Plan').Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
    expect(retried.every((e) => e.startsWith('Lambda.'))).toBe(true);
  });

  it('processes the manifest in a distributed Map whose results stay out of the state', () => {
    const map = state('ProcessBatches');
    expect(map.ItemProcessor).toMatchObject({
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
    });
    expect(map.ItemReader).toMatchObject({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket.$': '$.plan.manifestBucket', 'Key.$': '$.plan.manifestKey' },
    });
    expect(map.ItemSelector).toEqual({
      'jobId.$': '$.plan.jobId',
      'runId.$': '$.plan.runId',
      'mode.$': '$.plan.mode',
      'batch.$': '$$.Map.Item.Value',
    });
    expect(map.ResultPath).toBeNull();
    expect(map.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.mapError', Next: expect.any(String) },
    ]);
    expect(distributedMapLabels(runJob)).toEqual(['ProcessBatches']);
  });

  it('retries transient errors of ProcessBatch with full jitter, then records the failure and fails the item', () => {
    const retry = state('ProcessBatch').Retry as { ErrorEquals: string[]; JitterStrategy: string }[];
    const retried = retry.flatMap((r) => r.ErrorEquals);
    expect(retried).toEqual(
      expect.arrayContaining([
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        'RetryableError',
      ]),
    );
    expect(retry.every((r) => r.JitterStrategy === 'FULL')).toBe(true);
    expect(state('ProcessBatch').Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ]);
    expect(state('RecordFailure').Next).toBe('BatchFailed');
    expect(state('BatchFailed').Type).toBe('Fail');
  });

  it('sends Finalize a FinalizeEvent with mapError only when the Map failed', () => {
    const payloads = ['ShapeFinalizeEvent', 'ShapeFinalizeEventWithMapError'].map((n) => state(n).Parameters);
    expect(payloads[0]).toEqual({ 'jobId.$': '$.plan.jobId', 'runId.$': '$.plan.runId' });
    expect(payloads[1]).toEqual({
      'jobId.$': '$.plan.jobId',
      'runId.$': '$.plan.runId',
      'mapError.$': '$.mapError',
    });
    expect((state('Finalize').Parameters as Record<string, unknown>)['Payload.$']).toBe('$.finalize');
    expect(state('HasBatches').Default).toBe('ShapeFinalizeEvent');
    expect(state('RunFailed')).toMatchObject({ Type: 'Fail', Error: 'BatchesFailedError' });
  });

  it('keeps the Express budget of infra/pipeline-config.ts in step with the retries and timeouts', () => {
    type Retrier = {
      ErrorEquals: string[];
      MaxAttempts: number;
      IntervalSeconds: number;
      BackoffRate: number;
      MaxDelaySeconds: number;
    };
    const retryable = (state('ProcessBatch').Retry as Retrier[]).find((r) =>
      r.ErrorEquals.includes('RetryableError'),
    );
    if (!retryable) throw new Error('ProcessBatch does not retry RetryableError');
    expect(1 + retryable.MaxAttempts).toBe(CHILD_ATTEMPTS);
    let backoff = 0;
    for (let i = 0; i < retryable.MaxAttempts; i++) {
      backoff += Math.min(retryable.IntervalSeconds * retryable.BackoffRate ** i, retryable.MaxDelaySeconds);
    }
    const overhead = backoff + (state('RecordFailure').TimeoutSeconds as number);
    expect(overhead).toBeLessThanOrEqual(CHILD_OVERHEAD_SECONDS);
    // The Task timeout is a backstop above the largest worker's own timeout.
    expect(state('ProcessBatch').TimeoutSeconds as number).toBeGreaterThan(WORKER_SIZES.large.timeoutSeconds);
  });
});

describe('run-job.asl.json, the container branch', () => {
  type Retrier = { ErrorEquals: string[]; MaxAttempts: number; IntervalSeconds: number; BackoffRate: number };
  const container = state('ProcessBatchOnContainer');
  const parameters = container.Parameters as Record<string, unknown>;

  it('routes a batch whose manifest item names a flavor to the container, and every other batch to ProcessBatch', () => {
    const processor = state('ProcessBatches').ItemProcessor as { StartAt: string };
    expect(processor.StartAt).toBe('RouteBatch');
    expect(state('RouteBatch')).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [{ Variable: '$.batch.flavor', IsPresent: true, Next: 'ProcessBatchOnContainer' }],
      Default: 'ProcessBatch',
    });
  });

  it("runs the flavor's task definition on Fargate and waits for it (runTask.sync)", () => {
    expect(container.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(parameters).toMatchObject({
      Cluster: SAMPLE_VALUES.ContainerClusterArn,
      LaunchType: 'FARGATE',
      'TaskDefinition.$': "States.Format('batchkeeper-{}', $.batch.flavor)",
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          'Subnets.$': "States.StringSplit('subnet-0a,subnet-0b', ',')",
          'SecurityGroups.$': "States.StringSplit('sg-0a', ',')",
          AssignPublicIp: 'DISABLED',
        },
      },
    });
  });

  it("hands the container its batch in the environment variable the entrypoint reads, by the container's name", () => {
    expect(parameters.Overrides).toEqual({
      ContainerOverrides: [
        {
          Name: CONTAINER.name,
          Environment: [{ Name: CONTAINER.env.event, 'Value.$': 'States.JsonToString($)' }],
        },
      ],
    });
  });

  it('retries a failed task as ProcessBatch retries RetryableError, then records the failure as the Lambda path does', () => {
    const retry = container.Retry as Retrier[];
    const lambdaRetryable = (state('ProcessBatch').Retry as Retrier[]).find((r) =>
      r.ErrorEquals.includes('RetryableError'),
    );
    const taskFailed = retry.find((r) => r.ErrorEquals.includes('States.TaskFailed'));
    expect(taskFailed).toEqual({ ...lambdaRetryable, ErrorEquals: ['States.TaskFailed'] });
    // States.TaskFailed matches every error: the ECS service errors must come before it to keep their own policy.
    expect(retry.at(-1)).toBe(taskFailed);
    expect(container.Catch).toEqual(state('ProcessBatch').Catch);
    expect(container.ResultPath).toBeNull();
    expect(container.End).toBe(true);
  });

  it('times the task out only above the longest container flavor, whose entrypoint stops itself', () => {
    expect(container.TimeoutSeconds).toBe(CONTAINER_TASK_TIMEOUT_SECONDS);
  });
});
