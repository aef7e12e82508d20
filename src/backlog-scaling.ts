import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { backlogScalingPolicies, GroupMetric, MetricName, MetricStat, PLAN_PERIOD_SECONDS, StepPolicySpec } from './contract/scaling-plan';

/** Properties of `BacklogScaling`. */
export interface BacklogScalingProps {
  /** The group to scale. Its group metrics must be enabled (the math reads them). */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;

  /** The work queue. */
  readonly queue: sqs.IQueue;

  /** Target messages (waiting or in flight) per in-service instance. */
  readonly targetBacklogPerInstance: number;

  /** Time a new instance needs before its metrics count. */
  readonly instanceWarmup: Duration;

  /** How long the queue must stay empty before the group is set to 0. */
  readonly scaleToZeroAfter: Duration;
}

/**
 * Scales a worker group with the backlog, from and to zero. Three parts, because no single
 * Auto Scaling policy can do all of it:
 *
 * 1. Target tracking on the backlog per in-service instance (metric math, `CfnScalingPolicy`
 *    because the L2 rejects math). It sizes a running fleet. It cannot leave 0: target tracking
 *    multiplies the current capacity by metric ÷ target, and 0 × anything is 0.
 * 2. Wake: a step policy (exactly 1) on an alarm that fires when the desired capacity is 0 and a message
 *    is visible. Conditioned on "desired is 0" so it never fights target tracking.
 * 3. Sleep: a step policy (exact capacity 0, clamped to the group's minimum) on an alarm that fires
 *    when nothing was waiting or in flight for `scaleToZeroAfter`, measured. Missing queue metrics
 *    never count as empty (the alarm goes to OK on missing data): a gap must not set a fleet with
 *    work to zero, and CloudWatch repeats the action every minute while in ALARM. A queue that
 *    stops publishing (SQS does for queues idle for hours) was already measured empty before.
 *
 * Busy instances survive scale-in through the runtime's scale-in protection.
 */
export class BacklogScaling extends Construct {
  /** The target-tracking policy on backlog per instance. */
  public readonly targetTrackingPolicy: autoscaling.CfnScalingPolicy;
  /** The step policy that takes the group from 0 to 1. */
  public readonly wakePolicy: autoscaling.CfnScalingPolicy;
  /** The step policy that takes an idle group to 0. */
  public readonly sleepPolicy: autoscaling.CfnScalingPolicy;
  /** Fires when a message waits while the group has no instance. */
  public readonly wakeAlarm: cloudwatch.Alarm;
  /** Fires when the queue has been empty for `scaleToZeroAfter`. */
  public readonly idleAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BacklogScalingProps) {
    super(scope, id);
    const groupName = props.autoScalingGroup.autoScalingGroupName;
    const queueName = props.queue.queueName;
    const idleMinutes = props.scaleToZeroAfter.toMinutes();
    // The plan is the contract's (also replayed by local mode and the simulator); this renders it.
    const plan = backlogScalingPolicies({
      targetBacklogPerInstance: props.targetBacklogPerInstance,
      instanceWarmupSeconds: props.instanceWarmup.toSeconds(),
      scaleToZeroAfterMinutes: idleMinutes,
    });
    type Source = { namespace: string; dimension: string; value: string };
    const source = (metric: MetricName): Source => (metric in GROUP_METRIC_NAMES
      ? { namespace: 'AWS/AutoScaling', dimension: 'AutoScalingGroupName', value: groupName }
      : { namespace: 'AWS/SQS', dimension: 'QueueName', value: queueName });
    const cloudWatchMetric = (m: MetricStat): cloudwatch.Metric => {
      const s = source(m.metric);
      return new cloudwatch.Metric({
        namespace: s.namespace,
        metricName: m.metric,
        dimensionsMap: { [s.dimension]: s.value },
        period: Duration.seconds(m.periodSeconds),
        statistic: m.statistic,
      });
    };

    const tt = plan.targetTracking;
    this.targetTrackingPolicy = new autoscaling.CfnScalingPolicy(this, tt.name, {
      autoScalingGroupName: groupName,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: tt.warmupSeconds,
      targetTrackingConfiguration: {
        targetValue: tt.targetValue,
        disableScaleIn: tt.disableScaleIn,
        customizedMetricSpecification: {
          metrics: [
            ...Object.entries(tt.query.metrics).map(([queryId, m]) => {
              const s = source(m.metric);
              return {
                id: queryId,
                returnData: false,
                metricStat: {
                  metric: { namespace: s.namespace, metricName: m.metric, dimensions: [{ name: s.dimension, value: s.value }] },
                  stat: m.statistic,
                },
              };
            }),
            { id: lowerFirst(tt.name), expression: tt.query.expression, label: tt.query.label, returnData: true },
          ],
        },
      },
    });

    type Rendered = { policy: autoscaling.CfnScalingPolicy; alarm: cloudwatch.Alarm };
    const step = (spec: StepPolicySpec, alarmId: string, alarmDescription: string): Rendered => {
      const policy = new autoscaling.CfnScalingPolicy(this, spec.name, {
        autoScalingGroupName: groupName,
        policyType: 'StepScaling',
        adjustmentType: spec.adjustmentType,
        metricAggregationType: 'Maximum',
        estimatedInstanceWarmup: spec.warmupSeconds,
        stepAdjustments: spec.steps.map((s) => ({
          metricIntervalLowerBound: s.lower, metricIntervalUpperBound: s.upper, scalingAdjustment: s.adjustment,
        })),
      });
      const a = spec.alarm;
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription,
        metric: new cloudwatch.MathExpression({
          expression: a.query.expression ?? Object.keys(a.query.metrics)[0],
          usingMetrics: Object.fromEntries(Object.entries(a.query.metrics).map(([queryId, m]) => [queryId, cloudWatchMetric(m)])),
          period: Duration.seconds(PLAN_PERIOD_SECONDS),
          label: a.query.label,
        }),
        threshold: a.threshold,
        comparisonOperator: a.comparison as cloudwatch.ComparisonOperator,
        evaluationPeriods: a.evaluationPeriods,
        datapointsToAlarm: a.datapointsToAlarm,
        treatMissingData: (a.treatMissingData ?? 'missing') as cloudwatch.TreatMissingData,
      });
      alarm.addAlarmAction(policyAction(policy));
      return { policy, alarm };
    };

    const wake = step(plan.wake, 'WakeAlarm', 'A message is waiting while the worker group has no instance: start one.');
    this.wakePolicy = wake.policy;
    this.wakeAlarm = wake.alarm;
    const sleep = step(plan.sleep, 'IdleAlarm',
      `Nothing waiting or in flight for ${idleMinutes} minutes: scale the worker group to its minimum (0 by default).`);
    this.sleepPolicy = sleep.policy;
    this.idleAlarm = sleep.alarm;
  }
}

const GROUP_METRIC_NAMES: Record<string, true> = Object.fromEntries(Object.values(GroupMetric).map((n) => [n, true]));

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function policyAction(policy: autoscaling.CfnScalingPolicy): cloudwatch.IAlarmAction {
  return { bind: () => ({ alarmActionArn: policy.attrArn }) };
}
