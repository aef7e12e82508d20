/**
 * What the simulator runs: a scaling plan (src/contract/scaling-plan.ts) with the worker behaviour
 * of each instance. The policies compared are built from these types (policies.ts by hand from their
 * documented defaults, template-policy.ts from the construct's synthesized template).
 */

import type { ScalingPlan } from '../../src/contract/scaling-plan';

// The plan vocabulary (metrics, alarms, step and target-tracking policies) is the contract's: the
// construct deploys it, local mode and this simulator replay it with the same model.
export type {
  AdjustmentType, AlarmSpec, ComparisonOperator, MetricName, MetricQuery, MetricStat, ScalingPlan, ScalingPolicySpec,
  Statistic, StepAdjustment, StepPolicySpec, TargetTrackingSpec,
} from '../../src/contract/scaling-plan';

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
  /**
   * With the release: leave after this much idle time instead when the messages the instance took
   * were sent on average further apart than `releaseIdleAfterSeconds` (the runtime's early leave,
   * worker-runtime/src/core/arrival-spacing.ts). @default never early
   */
  readonly releaseEarlyAfterSeconds?: number;
}

/** The event-driven wake: each upload reaches a function that sets desired capacity 0 → 1. */
export interface UploadWake {
  /** Upload to the function's SetDesiredCapacity: S3 → EventBridge delivery and the invocation, seconds. */
  readonly delaySeconds: number;
  /** The function reads the group at most once per this interval. */
  readonly quietSeconds: number;
}

/** A fleet to simulate: a scaling plan (capacity limits, warm-up, policies) with its worker. */
export interface FleetPolicy extends ScalingPlan {
  readonly name: string;
  /** Where the numbers come from (shown in the report). */
  readonly source: string;
  readonly worker: WorkerBehaviour;
  /** @default none: only the metric-driven policies wake the group */
  readonly wake?: UploadWake;
}
