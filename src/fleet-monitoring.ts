import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Metrics } from './contract/runtime-metrics';
import { GroupMetric } from './contract/scaling-plan';
import { FleetMetricFactory } from './fleet-metrics';

export interface FleetMonitoringProps {
  readonly metrics: FleetMetricFactory;
  /** The age of the oldest message above which the latency alarm fires. */
  readonly acceptableLatency: Duration;
  /** The scaling target, drawn on the backlog-per-instance graph. */
  readonly backlogPerInstanceTarget: number;
  readonly dashboardName?: string;
  /** The workers' log group, queried for failures on the dashboard. */
  readonly logGroup: logs.ILogGroup;
}

/**
 * Logs Insights: the runtime's warnings and errors (failed records, dead-lettered messages, refused
 * calls; fields from worker-runtime/src/core/worker-log.ts) and boot failures, newest first.
 */
export const FAILURES_QUERY_LINES = [
  'fields @timestamp, @logStream, level, msg, kind, reason, key, step, error.message',
  'filter level = "error" or level = "warn"',
  'sort @timestamp desc',
  'limit 200',
];

/** The fleet's dashboard and its three alarms (no actions: add yours with `addAlarmAction`). */
export class FleetMonitoring extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly deadLetterQueueAlarm: cloudwatch.Alarm;
  public readonly oldestMessageAlarm: cloudwatch.Alarm;
  public readonly instancesMarkedUnhealthyAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: FleetMonitoringProps) {
    super(scope, id);
    const m = props.metrics;
    const latencySeconds = props.acceptableLatency.toSeconds();

    this.deadLetterQueueAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueNotEmpty', {
      alarmDescription: 'Messages reached the dead-letter queue: inspect their FailureKind/FailureReason attributes, fix, then redrive.',
      metric: m.deadLetterQueueDepth(),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.oldestMessageAlarm = new cloudwatch.Alarm(this, 'OldestMessageTooOld', {
      alarmDescription: `The oldest message has waited longer than the acceptable latency (${props.acceptableLatency.toHumanString()}).`,
      metric: m.ageOfOldestMessage(),
      threshold: latencySeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Not part of normal Spot operation (interruptions and scale-in are not counted): every count is
    // a worker that could not work, so one is enough. A broken deployment keeps it in ALARM.
    this.instancesMarkedUnhealthyAlarm = new cloudwatch.Alarm(this, 'InstancesMarkedUnhealthy', {
      alarmDescription:
        'An instance was handed back to the group because its worker could not work (a failed boot step, a configuration the ' +
        'runtime rejects, or too many starts). Repeated, it means a broken deployment: read the failures in the worker logs ' +
        '(dashboard) or the boot log, /var/log/cloud-init-output.log.',
      metric: m.runtimeMetric(Metrics.INSTANCES_MARKED_UNHEALTHY, 'Sum', { period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      graph('Backlog', [m.messagesVisible({ label: 'Waiting' }), m.messagesInFlight({ label: 'In flight' })], { stacked: true }),
      graph('Backlog per instance', [m.backlogPerInstance()], {
        leftAnnotations: [{ value: props.backlogPerInstanceTarget, label: 'Scaling target' }],
      }),
      graph('Instances', [
        m.groupMetric(GroupMetric.IN_SERVICE, { label: 'In service' }),
        m.groupMetric(GroupMetric.DESIRED, { label: 'Desired' }),
      ]),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmWidget({ title: 'Age of oldest message (s)', alarm: this.oldestMessageAlarm, width: 8, height: 6 }),
      new cloudwatch.AlarmWidget({ title: 'Dead-letter queue depth', alarm: this.deadLetterQueueAlarm, width: 8, height: 6 }),
      graph('Images processed and failures', [m.runtimeMetric(Metrics.IMAGES_PROCESSED, 'Sum', { label: 'Processed' }), m.jobFailures()]),
    );
    this.dashboard.addWidgets(
      graph('Processing time (ms)', [
        m.runtimeMetric(Metrics.PROCESSING_TIME, 'p50', { label: 'p50' }),
        m.runtimeMetric(Metrics.PROCESSING_TIME, 'p90', { label: 'p90' }),
        m.runtimeMetric(Metrics.PROCESSING_TIME, 'Maximum', { label: 'max' }),
      ]),
      graph('Utilisation (%)', [m.utilization()], { leftYAxis: { min: 0, max: 100 } }),
      new cloudwatch.AlarmWidget({
        title: 'Instances marked unhealthy (worker could not work)', alarm: this.instancesMarkedUnhealthyAlarm, width: 8, height: 6,
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.LogQueryWidget({
      title: 'Worker failures: errors and warnings, boot failures (newest first)',
      logGroupNames: [props.logGroup.logGroupName],
      queryLines: FAILURES_QUERY_LINES,
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 24,
      height: 8,
    }));
  }
}
