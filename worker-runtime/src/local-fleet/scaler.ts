/**
 * The scaling policy the construct synthesizes, replayed once per (compressed) CloudWatch minute:
 *  - target tracking on backlog per instance, (visible + in flight) ÷ in-service instances with
 *    0 instances counted as 1 (src/backlog-scaling.ts), target = max(1, floor(acceptable latency
 *    ÷ expected processing time)) — the construct's formula; new capacity = ceil(backlog ÷
 *    target); scale-out after 3 datapoints above target, scale-in after 15 below 90 % of it
 *    (target tracking's alarms); instances still warming up count toward the capacity;
 *  - wake, a step policy for 0 → 1: desired capacity 0 and a visible message starts one instance
 *    (target tracking multiplies the current capacity, and 0 × anything is 0);
 *  - sleep: nothing visible and nothing in flight for `scaleToZeroAfterMinutes` sets capacity 0.
 * Pure: state in, decision out, so tests can drive it minute by minute.
 */

export interface ScalingPolicy {
  /** Messages one instance may have queued: acceptable latency ÷ expected processing time. */
  readonly backlogPerInstanceTarget: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** Consecutive datapoints above target before scaling out. @default 3 */
  readonly scaleOutDatapoints?: number;
  /** Consecutive datapoints below 90 % of the target before scaling in. @default 15 */
  readonly scaleInDatapoints?: number;
  /** Minutes the queue must be empty (visible + in flight = 0) before capacity goes to 0. */
  readonly scaleToZeroAfterMinutes: number;
}

/** The construct's defaults (src/fleet-props.ts). */
export const CONSTRUCT_DEFAULTS = {
  acceptableLatencySeconds: 300,
  expectedProcessingSeconds: 10,
  scaleToZeroAfterMinutes: 15,
} as const;

/** The construct's formula, with its validation. */
export function backlogPerInstanceTarget(acceptableLatencySeconds: number, expectedProcessingSeconds: number): number {
  if (!(expectedProcessingSeconds > 0)) throw new Error('the expected processing time must be greater than zero');
  if (expectedProcessingSeconds > acceptableLatencySeconds) {
    throw new Error(`the expected processing time (${expectedProcessingSeconds} s) exceeds the acceptable latency (${acceptableLatencySeconds} s): raise the latency or lower the processing time`);
  }
  return Math.max(1, Math.floor(acceptableLatencySeconds / expectedProcessingSeconds));
}

/** One CloudWatch datapoint. */
export interface Datapoint {
  /** ApproximateNumberOfMessagesVisible */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  readonly inFlight: number;
  /** In-service instances (launched, not terminating). */
  readonly inService: number;
}

export interface ScalerState {
  readonly desired: number;
  readonly aboveTarget: number;
  readonly belowTarget: number;
  readonly emptyMinutes: number;
}

export type ScalingReason = 'step-0-to-1' | 'target-tracking-out' | 'target-tracking-in' | 'scale-to-zero' | 'none';

export interface ScalingDecision {
  readonly state: ScalerState;
  readonly reason: ScalingReason;
}

export function initialScalerState(policy: ScalingPolicy): ScalerState {
  return { desired: policy.minCapacity, aboveTarget: 0, belowTarget: 0, emptyMinutes: 0 };
}

function clamp(n: number, policy: ScalingPolicy): number {
  return Math.min(policy.maxCapacity, Math.max(policy.minCapacity, n));
}

/** Evaluates one minute's datapoint. */
export function evaluate(policy: ScalingPolicy, prev: ScalerState, dp: Datapoint): ScalingDecision {
  const outAfter = policy.scaleOutDatapoints ?? 3;
  const inAfter = policy.scaleInDatapoints ?? 15;
  const emptyMinutes = dp.visible + dp.inFlight === 0 ? prev.emptyMinutes + 1 : 0;
  const base = { ...prev, emptyMinutes };

  if (prev.desired === 0) {
    if (dp.visible > 0) {
      return { state: { ...base, desired: clamp(1, policy), aboveTarget: 0, belowTarget: 0 }, reason: 'step-0-to-1' };
    }
    return { state: base, reason: 'none' };
  }

  if (emptyMinutes >= policy.scaleToZeroAfterMinutes && policy.minCapacity === 0) {
    return { state: { ...base, desired: 0, aboveTarget: 0, belowTarget: 0 }, reason: 'scale-to-zero' };
  }

  // The construct's metric math: (visible + in flight) ÷ in-service instances, 0 instances counted as 1.
  const backlog = dp.visible + dp.inFlight;
  const metric = backlog / (dp.inService > 0 ? dp.inService : 1);
  const target = policy.backlogPerInstanceTarget;
  // Target tracking's new capacity: current × metric ÷ target, i.e. backlog ÷ target.
  const wanted = clamp(Math.ceil(backlog / target), policy);
  const aboveTarget = metric > target ? prev.aboveTarget + 1 : 0;
  // Target tracking's scale-in alarm fires below 90 % of the target.
  const belowTarget = metric < target * 0.9 ? prev.belowTarget + 1 : 0;

  if (aboveTarget >= outAfter && wanted > prev.desired) {
    return { state: { ...base, desired: wanted, aboveTarget: 0, belowTarget: 0 }, reason: 'target-tracking-out' };
  }
  if (belowTarget >= inAfter && wanted < prev.desired) {
    return { state: { ...base, desired: wanted, aboveTarget: 0, belowTarget: 0 }, reason: 'target-tracking-in' };
  }
  return { state: { ...base, aboveTarget, belowTarget }, reason: 'none' };
}
