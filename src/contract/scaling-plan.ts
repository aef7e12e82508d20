/**
 * The fleet's scaling plan as data: what the construct deploys (src/backlog-scaling.ts renders it
 * as CloudFormation), what the scaling model replays (scaling-model.ts: local mode's scaler and the
 * simulator), and what the dashboard graphs (src/fleet-metrics.ts). A test reads the synthesized
 * template back and checks that it equals this plan (test/construct/scaling-plan.test.ts).
 *
 * No imports but the contract's own (see runtime-env.ts).
 */

/** The SQS metrics the plan reads (namespace AWS/SQS, dimension QueueName). */
export const SqsMetric = {
  VISIBLE: 'ApproximateNumberOfMessagesVisible',
  IN_FLIGHT: 'ApproximateNumberOfMessagesNotVisible',
  OLDEST_AGE: 'ApproximateAgeOfOldestMessage',
} as const;

/** The Auto Scaling group metrics the plan reads (namespace AWS/AutoScaling, dimension AutoScalingGroupName). */
export const GroupMetric = {
  IN_SERVICE: 'GroupInServiceInstances',
  DESIRED: 'GroupDesiredCapacity',
} as const;

export type MetricName = typeof SqsMetric[keyof typeof SqsMetric] | typeof GroupMetric[keyof typeof GroupMetric];

/**
 * All messages the fleet still owes: waiting plus in flight. No FILL: a minute without queue
 * metrics yields no datapoint (not a 0), so a metrics gap can never look like an empty queue.
 */
export const BACKLOG_EXPRESSION = 'visible + inflight';

/** The metric-math expression of the backlog per instance, with 0 instances counted as 1. */
export const BACKLOG_PER_INSTANCE_EXPRESSION =
  '(FILL(visible, 0) + FILL(inflight, 0)) / IF(FILL(inservice, 0) > 0, FILL(inservice, 0), 1)';

/** 1 when the group wants no instance but a message is waiting, else 0. */
export const WAKE_EXPRESSION = 'IF(FILL(desired, 0) < 1 AND FILL(visible, 0) > 0, 1, 0)';

/** Percentage of in-service instance time with at least one job in flight. */
export const UTILIZATION_EXPRESSION = '100 * FILL(busy, 0) / (IF(FILL(inservice, 0) > 0, FILL(inservice, 0), 1) * PERIOD(inservice))';

/** Every alarm and metric of the plan uses one-minute periods (SQS publishes every minute). */
export const PLAN_PERIOD_SECONDS = 60;

/**
 * The alarms target tracking creates for a policy. Their shape is fixed by the service, not by the
 * policy: for a metric with a one-minute period, scale out when 3 of 3 datapoints are above the
 * target, scale in when 15 of 15 are below 90 % of it. Sources: the service creates and manages
 * these alarms and they must not be edited (Amazon EC2 Auto Scaling User Guide, "Target tracking
 * scaling policies", https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html;
 * Application Auto Scaling User Guide, "How target tracking scaling works",
 * https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html);
 * the 3- and 15-datapoint shapes, and that they cannot be changed, as reported for the generated
 * AlarmHigh/AlarmLow alarms in https://github.com/aws-samples/amazon-aurora-labs-for-mysql/issues/3
 * and https://github.com/aws/containers-roadmap/issues/638. The 90 % scale-in threshold is the
 * generated AlarmLow's, as docs/benchmarks.md's simulator section states.
 */
export const TARGET_TRACKING_ALARMS = {
  scaleOut: { evaluationPeriods: 3, datapointsToAlarm: 3 },
  scaleIn: { evaluationPeriods: 15, datapointsToAlarm: 15, thresholdRatio: 0.9 },
} as const;

/** The warm-up EC2 Auto Scaling uses when a group sets none: the default cooldown, 300 s. */
export const DEFAULT_WARMUP_SECONDS = 300;

// ---- The plan's vocabulary (also the simulator's: bench/simulator/policies.ts builds the reference policies from it) ----

export type Statistic = 'Average' | 'Maximum' | 'Minimum' | 'Sum' | 'SampleCount';

export interface MetricStat {
  readonly metric: MetricName;
  readonly statistic: Statistic;
  /** Aggregation period in seconds (a multiple of 60). */
  readonly periodSeconds: number;
}

/** A metric, or a metric-math expression over named metrics. */
export interface MetricQuery {
  /** The metrics the expression refers to, by id. A single metric has one entry and no expression. */
  readonly metrics: Readonly<Record<string, MetricStat>>;
  /** Arithmetic over the ids (+ - * / parentheses, numbers, comparisons, AND/OR, FILL, IF); absent: the only metric. */
  readonly expression?: string;
  /** What the expression shows as on graphs (the construct's label; not part of the evaluation). */
  readonly label?: string;
}

export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

export interface AlarmSpec {
  readonly query: MetricQuery;
  readonly comparison: ComparisonOperator;
  readonly threshold: number;
  /** N: how many of the latest periods are looked at. */
  readonly evaluationPeriods: number;
  /** M: how many of them must breach. */
  readonly datapointsToAlarm: number;
  /** How a missing datapoint counts; CloudWatch's default is `missing` (never breaching here). */
  readonly treatMissingData?: 'missing' | 'notBreaching' | 'breaching' | 'ignore';
}

export interface StepAdjustment {
  /** Bounds relative to the alarm threshold; absent means unbounded. */
  readonly lower?: number;
  readonly upper?: number;
  readonly adjustment: number;
}

export type AdjustmentType = 'ChangeInCapacity' | 'ExactCapacity' | 'PercentChangeInCapacity';

export interface StepPolicySpec {
  readonly kind: 'step';
  readonly name: string;
  readonly alarm: AlarmSpec;
  readonly adjustmentType: AdjustmentType;
  readonly steps: readonly StepAdjustment[];
  /** After an activity from this policy, it is not applied again for this long (simple-scaling cooldown). */
  readonly cooldownSeconds: number;
  /**
   * EstimatedInstanceWarmup: while instances it added warm up, the same step firing again adds
   * nothing; a larger step adds only the difference.
   */
  readonly warmupSeconds?: number;
}

export interface TargetTrackingSpec {
  readonly kind: 'target-tracking';
  readonly name: string;
  readonly query: MetricQuery;
  readonly targetValue: number;
  readonly disableScaleIn: boolean;
  /** EstimatedInstanceWarmup of the policy; the group's warm-up when absent. */
  readonly warmupSeconds?: number;
}

export type ScalingPolicySpec = StepPolicySpec | TargetTrackingSpec;

/** A group's capacity limits and scaling policies. */
export interface ScalingPlan {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /**
   * Instance warm-up, seconds after InService (DefaultInstanceWarmup). While any instance warms up,
   * dynamic scaling does not scale in, and scale-out counts the warming instances as capacity.
   */
  readonly warmupSeconds: number;
  readonly policies: readonly ScalingPolicySpec[];
}

// ---- The fleet's plan ----

/** What the fleet's plan is computed from (the construct's props, in seconds and minutes). */
export interface FleetScalingInputs {
  readonly acceptableLatencySeconds: number;
  readonly expectedProcessingSeconds: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly instanceWarmupSeconds: number;
  /** Minutes the queue must be empty before the group goes to its minimum. */
  readonly scaleToZeroAfterMinutes: number;
}

/**
 * The construct's scaling defaults (src/fleet-props.ts applies them to its props; local mode and the
 * simulator start from them too).
 */
export const FLEET_SCALING_DEFAULTS: FleetScalingInputs = {
  acceptableLatencySeconds: 300,
  expectedProcessingSeconds: 10,
  minCapacity: 0,
  maxCapacity: 10,
  instanceWarmupSeconds: 180,
  scaleToZeroAfterMinutes: 15,
};

/** Policy names in the plan; the construct's logical ids are derived from them. */
export const PlanPolicy = {
  TARGET_TRACKING: 'BacklogPerInstance',
  WAKE: 'Wake',
  SLEEP: 'Sleep',
} as const;

/**
 * The backlog-per-instance target: messages one instance may have queued so that the last waits
 * no longer than the acceptable latency. Throws on inputs no target can serve.
 */
export function backlogPerInstanceTarget(acceptableLatencySeconds: number, expectedProcessingSeconds: number): number {
  if (!(expectedProcessingSeconds > 0)) throw new Error('the expected processing time must be greater than zero');
  if (expectedProcessingSeconds > acceptableLatencySeconds) {
    throw new Error(`the expected processing time (${expectedProcessingSeconds} s) exceeds the acceptable latency (${acceptableLatencySeconds} s): raise the latency or lower the processing time`);
  }
  return Math.max(1, Math.floor(acceptableLatencySeconds / expectedProcessingSeconds));
}

const minute = PLAN_PERIOD_SECONDS;
const stat = (metric: MetricName, statistic: Statistic): MetricStat => ({ metric, statistic, periodSeconds: minute });

/** What the fleet's three policies are computed from. */
export interface BacklogScalingInputs {
  readonly targetBacklogPerInstance: number;
  readonly instanceWarmupSeconds: number;
  readonly scaleToZeroAfterMinutes: number;
}

export interface BacklogScalingPolicies {
  readonly targetTracking: TargetTrackingSpec;
  readonly wake: StepPolicySpec;
  readonly sleep: StepPolicySpec;
}

/**
 * The fleet's three policies, because no single Auto Scaling policy can do all of it:
 * 1. target tracking on the backlog per in-service instance sizes a running fleet; it cannot
 *    leave 0 (it multiplies the current capacity by metric ÷ target, and 0 × anything is 0);
 * 2. wake: exactly 1 when the desired capacity is 0 and a message is visible (conditioned on "desired
 *    is 0" so it never fights target tracking). Exact, not +1: the upload wake (src/wake/) may have
 *    set the group to 1 already within the minute whose datapoint still reads "desired 0"; +1 would
 *    then start a second instance for one image (the simulator showed it). Target tracking cannot
 *    have raised the group beyond 1 within that lag (it needs 3 datapoints), so exactly 1 lowers nothing;
 * 3. sleep: exact capacity 0 (clamped to the minimum) when nothing was waiting or in flight for
 *    `scaleToZeroAfterMinutes`, measured. Missing queue metrics never count as empty: a gap must
 *    not set a fleet with work to zero (a queue that stops publishing was measured empty before).
 */
export function backlogScalingPolicies(inputs: BacklogScalingInputs): BacklogScalingPolicies {
  const warmup = inputs.instanceWarmupSeconds;
  const idle = inputs.scaleToZeroAfterMinutes;
  return {
    targetTracking: {
      kind: 'target-tracking',
      name: PlanPolicy.TARGET_TRACKING,
      targetValue: inputs.targetBacklogPerInstance,
      disableScaleIn: false,
      warmupSeconds: warmup,
      query: {
        metrics: {
          visible: stat(SqsMetric.VISIBLE, 'Average'),
          inflight: stat(SqsMetric.IN_FLIGHT, 'Average'),
          inservice: stat(GroupMetric.IN_SERVICE, 'Average'),
        },
        expression: BACKLOG_PER_INSTANCE_EXPRESSION,
        label: 'Backlog per instance',
      },
    },
    wake: {
      kind: 'step',
      name: PlanPolicy.WAKE,
      adjustmentType: 'ExactCapacity',
      steps: [{ lower: 0, adjustment: 1 }],
      cooldownSeconds: 0,
      warmupSeconds: warmup,
      alarm: {
        query: {
          metrics: { desired: stat(GroupMetric.DESIRED, 'Minimum'), visible: stat(SqsMetric.VISIBLE, 'Maximum') },
          expression: WAKE_EXPRESSION,
          label: 'Waiting with no instance',
        },
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: 'notBreaching',
      },
    },
    sleep: {
      kind: 'step',
      name: PlanPolicy.SLEEP,
      adjustmentType: 'ExactCapacity',
      steps: [{ upper: 0, adjustment: 0 }],
      cooldownSeconds: 0,
      alarm: {
        query: {
          metrics: { visible: stat(SqsMetric.VISIBLE, 'Maximum'), inflight: stat(SqsMetric.IN_FLIGHT, 'Maximum') },
          expression: BACKLOG_EXPRESSION,
          label: 'Backlog (waiting + in flight)',
        },
        comparison: 'LessThanOrEqualToThreshold',
        threshold: 0,
        evaluationPeriods: idle,
        datapointsToAlarm: idle,
        treatMissingData: 'notBreaching',
      },
    },
  };
}

/** The fleet's plan: its capacity limits, warm-up and the three policies, from the construct's inputs. */
export function fleetScalingPlan(inputs: FleetScalingInputs): ScalingPlan {
  const p = backlogScalingPolicies({
    targetBacklogPerInstance: backlogPerInstanceTarget(inputs.acceptableLatencySeconds, inputs.expectedProcessingSeconds),
    instanceWarmupSeconds: inputs.instanceWarmupSeconds,
    scaleToZeroAfterMinutes: inputs.scaleToZeroAfterMinutes,
  });
  return {
    minCapacity: inputs.minCapacity,
    maxCapacity: inputs.maxCapacity,
    warmupSeconds: inputs.instanceWarmupSeconds,
    policies: [p.targetTracking, p.wake, p.sleep],
  };
}
