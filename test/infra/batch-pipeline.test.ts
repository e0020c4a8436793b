import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  FUNCTIONS,
  largestWorker,
  limitsOf,
  WORKER_SIZES,
  type WorkerSize,
} from '../../core/contracts/functions.ts';
import {
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../core/contracts/metrics.ts';
import { DATASETS_PREFIX, MAP_RESULTS_WRITER_PREFIX } from '../../core/contracts/s3-keys.ts';
import { ENV } from '../../core/contracts/tables.ts';
import { childExecutionType } from '../../infra/pipeline-config.ts';
import { placeholdersOf, RUN_JOB_ASL_PATH } from '../../infra/run-job-definition.ts';
import { build, logicalId, TEST_CONFIG, type TemplateResources } from './support.ts';

const { stack, template } = build();
const pipeline = stack.pipeline;
const resources = template.toJSON().Resources as TemplateResources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** DefinitionString with CloudFormation's DefinitionSubstitutions applied as readable markers. */
function renderDefinition(): { text: string; variables: Record<string, unknown> } {
  const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0] ?? [];
  const text = machine?.Properties.DefinitionString as string;
  const variables = machine?.Properties.DefinitionSubstitutions as Record<string, unknown>;
  const rendered = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) =>
    name in variables ? `<${name}:${JSON.stringify(variables[name]).replace(/"/g, "'")}>` : whole,
  );
  return { text: rendered, variables };
}

describe('PipelineFunctions', () => {
  it('runs every handler on nodejs22.x, arm64, traced, logging JSON to its own log group', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
      const env = fn.Properties.Environment.Variables as Record<string, unknown>;
      // Every resource name; the event bus's only where events are published (the next test).
      for (const name of Object.values(ENV)) if (name !== ENV.eventBus) expect(env).toHaveProperty(name);
      // On AWS the SDK uses the real endpoints: no local override may leak into a function.
      expect(Object.keys(env).filter((k) => k.startsWith('AWS_ENDPOINT_URL'))).toEqual([]);
      expect(env).toMatchObject({
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('names the event bus to Plan, ProcessBatch and Finalize, and to no other function', () => {
    const fns = pipeline.functions;
    const busOf = (f: typeof fns.planRun) =>
      resources[logicalId(stack, f.fn)]?.Properties.Environment.Variables[ENV.eventBus];
    const bus = { Ref: logicalId(stack, stack.stores.eventBus) };
    expect([fns.planRun, fns.processBatch, fns.finalizeRun].map(busOf)).toEqual([bus, bus, bus]);
    expect([fns.recordFailure, fns.registerObjects].map(busOf)).toEqual([undefined, undefined]);
  });

  it('sizes ProcessBatch for the largest worker', () => {
    const fn = resources[logicalId(stack, pipeline.functions.processBatch.fn)];
    expect(fn?.Properties).toMatchObject({ MemorySize: 512, Timeout: 60 });
  });

  it('deploys each row of the function table (core/contracts/functions.ts) with its timeout and memory', () => {
    const worker = largestWorker(TEST_CONFIG.processors.map((p) => WORKER_SIZES[p.size as WorkerSize]));
    const deployed = pipeline.functions.all();
    expect(deployed.map((f) => f.node.id).sort()).toEqual(
      Object.values(FUNCTIONS)
        .map((s) => s.id)
        .sort(),
    );
    for (const [key, spec] of Object.entries(FUNCTIONS)) {
      const construct = pipeline.functions[key as keyof typeof FUNCTIONS];
      expect(construct.node.id).toBe(spec.id);
      const { memoryMb, timeoutSeconds } = limitsOf(spec, worker);
      expect(resources[logicalId(stack, construct.fn)]?.Properties, spec.id).toMatchObject({
        MemorySize: memoryMb,
        Timeout: timeoutSeconds,
      });
    }
  });
});

describe('RunJobStateMachine', () => {
  it('is a Standard workflow that logs ALL events without execution data, traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'Batchkeeper-run-job',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: Match.anyValue() },
    });
  });

  it('inlines the ASL file with every placeholder substituted', () => {
    const file = readFileSync(RUN_JOB_ASL_PATH, 'utf8');
    const wanted = placeholdersOf(file).sort();
    expect(Object.keys(pipeline.runJob.definitionSubstitutions).sort()).toEqual(wanted);
    const { text, variables } = renderDefinition();
    expect(text).not.toContain('${');
    expect(Object.keys(variables).sort()).toEqual(wanted);
    const definition = JSON.parse(text);
    expect(definition.States.Plan.Parameters.FunctionName).toBe(
      `<PlanRunFunctionArn:{'Fn::GetAtt':['${logicalId(stack, pipeline.functions.planRun.fn)}','Arn']}>`,
    );
    expect(definition.States.ProcessBatches.ItemProcessor.ProcessorConfig.ExecutionType).toBe(
      "<ChildExecutionType:'EXPRESS'>",
    );
    expect(definition.States.ProcessBatches.ResultWriter.Parameters).toEqual({
      Bucket: `<WorkBucketName:{'Ref':'${logicalId(stack, stack.stores.workBucket)}'}>`,
      Prefix: `<MapResultsPrefix:'${MAP_RESULTS_WRITER_PREFIX}'>`,
    });
    // Same states as the file: the local mode runs what AWS runs.
    expect(Object.keys(definition.States)).toEqual(Object.keys(JSON.parse(file).States));
  });

  it('gives each Task a timeout above its function timeout, so that the function times out first', () => {
    const file = JSON.parse(readFileSync(RUN_JOB_ASL_PATH, 'utf8'));
    const fns = pipeline.functions;
    const tasks = {
      Plan: [file.States.Plan, fns.planRun],
      ProcessBatch: [file.States.ProcessBatches.ItemProcessor.States.ProcessBatch, fns.processBatch],
      RecordFailure: [file.States.ProcessBatches.ItemProcessor.States.RecordFailure, fns.recordFailure],
      Finalize: [file.States.Finalize, fns.finalizeRun],
    } as const;
    for (const [name, [task, fn]] of Object.entries(tasks)) {
      const timeout = resources[logicalId(stack, fn.fn)]?.Properties.Timeout as number;
      expect(task.TimeoutSeconds, name).toBeGreaterThan(timeout);
    }
  });

  it('may invoke exactly the four functions of the definition', () => {
    const role = logicalId(stack, pipeline.runJob.stateMachine.role);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction');
    const fns = pipeline.functions;
    expect(invoke?.Resource).toEqual(
      [fns.planRun, fns.processBatch, fns.recordFailure, fns.finalizeRun].map((f) => ({
        'Fn::GetAtt': [logicalId(stack, f.fn), 'Arn'],
      })),
    );
  });
});

describe('child execution type', () => {
  it('is EXPRESS for small workers and STANDARD once a worker may outlive an Express execution', () => {
    expect(childExecutionType(WORKER_SIZES.small.timeoutSeconds)).toBe('EXPRESS');
    expect(childExecutionType(WORKER_SIZES.medium.timeoutSeconds)).toBe('STANDARD');
    expect(childExecutionType(WORKER_SIZES.large.timeoutSeconds)).toBe('STANDARD');
  });

  it('follows the largest processor of the deployment', () => {
    const large = build({ processors: [...TEST_CONFIG.processors, { name: 'video', size: 'large' }] });
    expect(large.stack.pipeline.childExecutionType).toBe('STANDARD');
    large.template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 3008, Timeout: 900 });
    expect(large.stack.pipeline.runJob.definitionSubstitutions.ChildExecutionType).toBe('STANDARD');
  });
});

describe('RunSchedules', () => {
  it('starts an incremental run of each scheduled job', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', TEST_CONFIG.schedules.length);
    for (const s of TEST_CONFIG.schedules) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: s.expression,
        ...(s.timeZone ? { ScheduleExpressionTimezone: s.timeZone } : {}),
        State: 'ENABLED',
        Target: {
          Arn: { Ref: logicalId(stack, pipeline.runJob.stateMachine) },
          Input: JSON.stringify({ jobId: s.jobId, mode: 'incremental' }),
        },
      });
    }
  });
});

describe('object registration', () => {
  it('routes Object Created events of the data bucket to RegisterObjects, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: logicalId(stack, stack.stores.dataBucket) }] },
          object: { key: [{ prefix: DATASETS_PREFIX }] },
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.functions.registerObjects.fn), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, pipeline.registrationDlq), 'Arn'] } },
        }),
      ],
    });
  });
});

describe('PipelineMonitoring', () => {
  it('alarms on failed executions, failed batches and expired leases, into an encrypted topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Dimensions: [
        { Name: 'StateMachineArn', Value: { Ref: logicalId(stack, pipeline.runJob.stateMachine) } },
      ],
    });
    for (const metricName of [METRIC_NAMES.batchesFailed, METRIC_NAMES.leasesExpired]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Sum',
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: logicalId(stack, pipeline.monitoring.alarmTopic) }],
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: TEST_CONFIG.alarmEmail,
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('alarms on and graphs only metrics the handlers emit, by the names of core/contracts/metrics.ts', () => {
    // Each custom metric as [name, dimension name, dimension value, ...].
    const custom: string[][] = [];
    for (const [, alarm] of ofType('AWS::CloudWatch::Alarm')) {
      const { Namespace, MetricName, Dimensions } = alarm.Properties;
      const pairs = (Dimensions ?? []) as { Name: string; Value: string }[];
      if (Namespace === METRICS_NAMESPACE)
        custom.push([MetricName, ...pairs.flatMap((d) => [d.Name, d.Value])]);
    }
    for (const [, dashboard] of ofType('AWS::CloudWatch::Dashboard')) {
      const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
      const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'token')).join(''));
      for (const widget of body.widgets as { properties: { metrics?: unknown[][] } }[]) {
        for (const [namespace, ...rest] of widget.properties.metrics ?? []) {
          if (namespace === METRICS_NAMESPACE) custom.push(rest.filter((d) => typeof d === 'string'));
        }
      }
    }
    expect(custom.length).toBeGreaterThan(0);
    for (const [name, ...dimensions] of custom) {
      expect(Object.values(METRIC_NAMES)).toContain(name);
      expect(dimensions).toEqual(Object.entries(METRIC_DIMENSIONS).flat());
    }
  });
});
