/**
 * What a scaling policy is, in the simulator's terms: the CloudWatch metrics it watches, the alarms
 * that fire it, and what it does to the group's desired capacity. The four policies compared are
 * built from these types (policies.ts by hand from their documented defaults, template-policy.ts from
 * the construct's synthesized template).
 */

/** Metric names the simulated world publishes, one sample per minute. */
export type MetricName =
  | 'ApproximateNumberOfMessagesVisible'
  | 'ApproximateNumberOfMessagesNotVisible'
  | 'GroupInServiceInstances'
  | 'GroupDesiredCapacity';

export type Statistic = 'Average' | 'Maximum' | 'Minimum' | 'Sum' | 'SampleCount';

export interface MetricStat {
  readonly metric: MetricName;
  readonly statistic: Statistic;
  /** Aggregation period in seconds (a multiple of 60). */
  readonly periodSeconds: number;
}

/** A metric, or a metric-math expression over named metrics (`m1 / m2`). */
export interface MetricQuery {
  /** The metrics the expression refers to, by id. A single metric has one entry and no expression. */
  readonly metrics: Record<string, MetricStat>;
  /** Arithmetic over the ids (+ - * / parentheses, numbers, FILL(id, value)); absent: the only metric. */
  readonly expression?: string;
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
  readonly steps: StepAdjustment[];
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
}

export type ScalingPolicySpec = StepPolicySpec | TargetTrackingSpec;

/** How the worker on each instance behaves; the sample's bash loop differs from our runtime. */
export interface WorkerBehaviour {
  readonly name: string;
  /** Jobs in flight per instance. */
  readonly concurrency: number;
  /** Mean seconds per image (fetch, convert, write, acknowledge) on one slot. */
  readonly serviceSecondsMean: number;
  /** An empty receive waits this long for a message (SQS long poll), seconds. */
  readonly longPollSeconds: number;
  /** After an empty receive the loop sleeps this long before the next, seconds. */
  readonly sleepAfterEmptySeconds: number;
  /** SQS requests per processed image besides the receive (delete, visibility changes...). */
  readonly sqsRequestsPerImage: number;
  /** Whether the message is deleted even when its conversion failed (the sample does that: the image is lost). */
  readonly deletesOnFailure: boolean;
  /** Whether busy instances are protected from scale-in (our runtime sets instance protection while busy). */
  readonly protectsBusyInstances: boolean;
  /** Whether a Spot interruption notice makes the worker stop receiving and finish in-flight jobs. */
  readonly drainsOnSpotNotice: boolean;
  /**
   * The worker ends its own instance (TerminateInstanceInAutoScalingGroup, decrementing the desired
   * capacity, never below the minimum) after this long idle with an empty receive. @default never
   */
  readonly releaseIdleAfterSeconds?: number;
}

/** The event-driven wake: each upload reaches a function that sets desired capacity 0 → 1. */
export interface UploadWake {
  /** Upload to the function's SetDesiredCapacity: S3 → EventBridge delivery and the invocation, seconds. */
  readonly delaySeconds: number;
  /** The function reads the group at most once per this interval. */
  readonly quietSeconds: number;
}

export interface FleetPolicy {
  readonly name: string;
  /** Where the numbers come from (shown in the report). */
  readonly source: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /**
   * Instance warm-up, seconds after InService (DefaultInstanceWarmup; the default cooldown, 300 s,
   * when unset). While any instance warms up, dynamic scaling does not scale in, and scale-out
   * counts the warming instances as capacity.
   */
  readonly warmupSeconds: number;
  readonly policies: ScalingPolicySpec[];
  readonly worker: WorkerBehaviour;
  /** @default none: only the metric-driven policies wake the group */
  readonly wake?: UploadWake;
}
