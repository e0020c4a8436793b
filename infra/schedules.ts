import { Duration, TimeZone } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ScheduleConfig } from './pipeline-config.ts';

export interface RunSchedulesProps {
  readonly stateMachine: IStateMachine;
  readonly schedules: readonly ScheduleConfig[];
  /**
   * How often EventBridge Scheduler retries a StartExecution that failed (throttling, a deploy in progress).
   * @default 3
   */
  readonly retryAttempts?: number;
}

/**
 * EventBridge Scheduler schedules that start an incremental run of a job: `rate(1 day)`, `cron(0 3 1 * ? *)`.
 * A run that finds nothing new plans zero batches and finishes at once, so a generous schedule costs little.
 */
export class RunSchedules extends Construct {
  readonly schedules: readonly Schedule[];

  constructor(scope: Construct, id: string, props: RunSchedulesProps) {
    super(scope, id);
    const seen = new Map<string, number>();
    this.schedules = props.schedules.map((s) => {
      // A job may have several schedules (daily and monthly): the second one gets a suffix.
      const n = (seen.get(s.jobId) ?? 0) + 1;
      seen.set(s.jobId, n);
      return new Schedule(this, n === 1 ? `Schedule-${s.jobId}` : `Schedule-${s.jobId}-${n}`, {
        description: `batchkeeper: incremental run of job ${s.jobId}`,
        schedule: ScheduleExpression.expression(
          s.expression,
          s.timeZone ? TimeZone.of(s.timeZone) : undefined,
        ),
        target: new StepFunctionsStartExecution(props.stateMachine, {
          // The execution input is a RunInput (core/events.ts).
          input: ScheduleTargetInput.fromObject({ jobId: s.jobId, mode: 'incremental' }),
          retryAttempts: props.retryAttempts ?? 3,
          maxEventAge: Duration.hours(1),
        }),
      });
    });
  }
}
