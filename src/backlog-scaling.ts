import { Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BACKLOG_EXPRESSION, BACKLOG_PER_INSTANCE_EXPRESSION, WAKE_EXPRESSION } from './contract/scaling-plan';

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
 * 2. Wake: a step policy (+1) on an alarm that fires when the desired capacity is 0 and a message
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
    const asg = props.autoScalingGroup;
    const queueName = props.queue.queueName;
    const groupName = asg.autoScalingGroupName;
    const warmupSeconds = props.instanceWarmup.toSeconds();

    const sqsStat = (metricName: string, queryId: string): autoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty => ({
      id: queryId,
      returnData: false,
      metricStat: {
        metric: { namespace: 'AWS/SQS', metricName, dimensions: [{ name: 'QueueName', value: queueName }] },
        stat: 'Average',
      },
    });

    this.targetTrackingPolicy = new autoscaling.CfnScalingPolicy(this, 'BacklogPerInstance', {
      autoScalingGroupName: groupName,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: warmupSeconds,
      targetTrackingConfiguration: {
        targetValue: props.targetBacklogPerInstance,
        disableScaleIn: false,
        customizedMetricSpecification: {
          metrics: [
            sqsStat('ApproximateNumberOfMessagesVisible', 'visible'),
            sqsStat('ApproximateNumberOfMessagesNotVisible', 'inflight'),
            {
              id: 'inservice',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'AWS/AutoScaling',
                  metricName: 'GroupInServiceInstances',
                  dimensions: [{ name: 'AutoScalingGroupName', value: groupName }],
                },
                stat: 'Average',
              },
            },
            { id: 'backlogPerInstance', expression: BACKLOG_PER_INSTANCE_EXPRESSION, label: 'Backlog per instance', returnData: true },
          ],
        },
      },
    });

    const minute = Duration.minutes(1);
    const visible = props.queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' });
    const inflight = props.queue.metricApproximateNumberOfMessagesNotVisible({ period: minute, statistic: 'Maximum' });
    const desired = new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName: 'GroupDesiredCapacity',
      dimensionsMap: { AutoScalingGroupName: groupName },
      period: minute,
      statistic: 'Minimum',
    });

    this.wakePolicy = new autoscaling.CfnScalingPolicy(this, 'Wake', {
      autoScalingGroupName: groupName,
      policyType: 'StepScaling',
      adjustmentType: 'ChangeInCapacity',
      metricAggregationType: 'Maximum',
      estimatedInstanceWarmup: warmupSeconds,
      stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
    });
    this.wakeAlarm = new cloudwatch.Alarm(this, 'WakeAlarm', {
      alarmDescription: 'A message is waiting while the worker group has no instance: start one.',
      metric: new cloudwatch.MathExpression({
        expression: WAKE_EXPRESSION,
        usingMetrics: { desired, visible },
        period: minute,
        label: 'Waiting with no instance',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.wakeAlarm.addAlarmAction(policyAction(this.wakePolicy));

    const idleMinutes = props.scaleToZeroAfter.toMinutes();
    this.sleepPolicy = new autoscaling.CfnScalingPolicy(this, 'Sleep', {
      autoScalingGroupName: groupName,
      policyType: 'StepScaling',
      adjustmentType: 'ExactCapacity',
      metricAggregationType: 'Maximum',
      stepAdjustments: [{ metricIntervalUpperBound: 0, scalingAdjustment: 0 }],
    });
    this.idleAlarm = new cloudwatch.Alarm(this, 'IdleAlarm', {
      alarmDescription: `Nothing waiting or in flight for ${idleMinutes} minutes: scale the worker group to its minimum (0 by default).`,
      metric: new cloudwatch.MathExpression({
        expression: BACKLOG_EXPRESSION,
        usingMetrics: { visible, inflight },
        period: minute,
        label: 'Backlog (waiting + in flight)',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: idleMinutes,
      datapointsToAlarm: idleMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.idleAlarm.addAlarmAction(policyAction(this.sleepPolicy));
  }
}

function policyAction(policy: autoscaling.CfnScalingPolicy): cloudwatch.IAlarmAction {
  return { bind: () => ({ alarmActionArn: policy.attrArn }) };
}
