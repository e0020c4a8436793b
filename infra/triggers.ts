import { Duration } from 'aws-cdk-lib';
import { type IEventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETAIL_TYPES, EVENT_SOURCE } from '../core/contracts/bus.ts';
import type { HandlerFunction } from './handler-function.ts';

export interface RunTriggersProps {
  readonly bus: IEventBus;
  readonly triggerRuns: HandlerFunction;
  /** Where events the function could not take go (shared with registration). */
  readonly deadLetterQueue: IQueue;
  /** How often every triggered job is reconciled. @default 5 minutes */
  readonly reconcileEvery?: Duration;
}

/**
 * Triggers between jobs (core/runs/triggers.ts): every commit and run end on the deployment's bus goes to
 * TriggerRuns, which starts the incremental runs of triggered consumers; a schedule reconciles every triggered
 * job, since event delivery is best effort. Jobs without a triggered dependency cost one short invocation per
 * event.
 */
export class RunTriggers extends Construct {
  readonly onEvents: Rule;
  readonly reconcile: Rule;

  constructor(scope: Construct, id: string, props: RunTriggersProps) {
    super(scope, id);
    const target = (input?: RuleTargetInput) =>
      new LambdaFunction(props.triggerRuns.fn, {
        event: input,
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 4,
        maxEventAge: Duration.hours(1),
      });
    this.onEvents = new Rule(this, 'OnEvents', {
      description:
        'batchkeeper: start the triggered consumers of a job that committed a batch or ended a run',
      eventBus: props.bus,
      eventPattern: {
        source: [EVENT_SOURCE],
        detailType: [DETAIL_TYPES.BatchCommitted, DETAIL_TYPES.RunFinished],
      },
      targets: [target()],
    });
    this.reconcile = new Rule(this, 'Reconcile', {
      description:
        'batchkeeper: start the runs of triggered jobs whose producers have READY work, if none is live',
      schedule: Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [target(RuleTargetInput.fromObject({ reconcile: true }))],
    });
  }
}
