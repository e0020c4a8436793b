import { Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRIC_NAMES, METRICS_NAMESPACE } from '../core/contracts/metrics.ts';
import type { HandlerFunction } from './handler-function.ts';

export interface PipelineMonitoringProps {
  readonly stateMachine: IStateMachine;
  readonly functions: readonly HandlerFunction[];
  /** Dead-letter queue of object registration events. */
  readonly registrationDlq: IQueue;
  /** Encrypts the alarm topic (CloudWatch is allowed to use it). */
  readonly key: IKey;
  /** Where alarms are mailed. @default - no subscription: subscribe to `alarmTopic` yourself */
  readonly alarmEmail?: string;
  /** @default - the stack name */
  readonly dashboardName?: string;
}

/**
 * Alarms on what needs a person: failed or timed-out runs, failed batches and expired leases (Powertools
 * metrics of the handlers), handler errors and undelivered registrations; and a dashboard of runs, batches
 * and handler durations.
 */
export class PipelineMonitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: props.key, enforceSSL: true });
    // CloudWatch publishes to an encrypted topic only if the key lets it.
    props.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));

    const custom = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { ...METRIC_DIMENSIONS },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const batchesFailed = custom(METRIC_NAMES.batchesFailed);
    const leasesExpired = custom(METRIC_NAMES.leasesExpired);
    const sm = props.stateMachine;
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };

    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, metric: IMetric, description: string) => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(new SnsAction(this.alarmTopic));
      alarms.push(a);
    };
    alarm(
      'ExecutionsFailed',
      sm.metricFailed(fiveMinutes),
      'A run failed: bad input, failed batches or a handler error.',
    );
    alarm('ExecutionsTimedOut', sm.metricTimedOut(fiveMinutes), 'A run timed out.');
    alarm(
      'BatchesFailed',
      batchesFailed,
      'Batches failed after their retries: see the inventory (open index).',
    );
    alarm('LeasesExpired', leasesExpired, 'Leases expired: a worker was killed or ran past its lease.');
    for (const fn of props.functions) {
      alarm(`${fn.node.id}Errors`, fn.fn.metricErrors(fiveMinutes), `Errors of ${fn.node.id}.`);
    }
    alarm(
      'RegistrationsDeadLettered',
      props.registrationDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      'Objects could not be registered into the catalog: see the dead-letter queue.',
    );
    this.alarms = alarms;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? Stack.of(this).stackName,
      widgets: [
        [
          new GraphWidget({
            title: 'Runs',
            left: [
              sm.metricStarted(fiveMinutes),
              sm.metricSucceeded(fiveMinutes),
              sm.metricFailed(fiveMinutes),
            ],
          }),
          new GraphWidget({ title: 'Batches failed, leases expired', left: [batchesFailed, leasesExpired] }),
        ],
        [
          new GraphWidget({
            title: 'Handler duration p95',
            left: props.functions.map((f) => f.fn.metricDuration({ statistic: 'p95', label: f.node.id })),
          }),
          new GraphWidget({
            title: 'Handler errors and throttles',
            left: props.functions.map((f) =>
              f.fn.metricErrors({ ...fiveMinutes, label: `${f.node.id} errors` }),
            ),
            right: props.functions.map((f) =>
              f.fn.metricThrottles({ ...fiveMinutes, label: `${f.node.id} throttles` }),
            ),
          }),
        ],
      ],
    });
  }
}
