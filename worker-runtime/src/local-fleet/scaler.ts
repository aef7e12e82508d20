/**
 * Local mode's scaler: the construct's scaling plan (contract/scaling-plan.ts) replayed by the one
 * scaling model (contract/scaling-model.ts) once per compressed CloudWatch minute. Each minute's
 * queue and group counts go into a metric store without publishing delay (local mode reads its
 * own files); the plan's alarms read them like CloudWatch would: target tracking on backlog per
 * instance with its fixed 3-of-3 / 15-of-15 alarms, the 0 → 1 wake step, the scale-to-zero step,
 * no scale-in while a worker warms up.
 */
import { MetricStore } from '../contract/metric-store';
import { evaluatePolicies, INITIAL_POLICY_MEMORY, PolicyMemory } from '../contract/scaling-model';
import { GroupMetric, PlanPolicy, ScalingPlan, SqsMetric } from '../contract/scaling-plan';

export { backlogPerInstanceTarget, fleetScalingPlan } from '../contract/scaling-plan';

/** One minute's counts (what CloudWatch would sample). */
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
  /** Minutes evaluated so far. */
  readonly minute: number;
  readonly memory: PolicyMemory;
  readonly metrics: MetricStore;
}

export type ScalingReason = 'step-0-to-1' | 'target-tracking-out' | 'target-tracking-in' | 'scale-to-zero' | 'none';

export interface ScalingDecision {
  readonly state: ScalerState;
  readonly reason: ScalingReason;
}

export function initialScalerState(plan: ScalingPlan): ScalerState {
  return { desired: plan.minCapacity, minute: 0, memory: INITIAL_POLICY_MEMORY, metrics: new MetricStore({ sqsSeconds: 0, groupSeconds: 0 }) };
}

/** Records minute `state.minute`'s datapoint and evaluates the plan just after that minute ends. */
export function evaluate(plan: ScalingPlan, prev: ScalerState, dp: Datapoint, warming = false): ScalingDecision {
  const m = prev.minute;
  const metrics = prev.metrics;
  metrics.put(SqsMetric.VISIBLE, m, dp.visible);
  metrics.put(SqsMetric.IN_FLIGHT, m, dp.inFlight);
  metrics.put(GroupMetric.IN_SERVICE, m, dp.inService);
  metrics.put(GroupMetric.DESIRED, m, prev.desired);
  const e = evaluatePolicies(plan, prev.memory, { desired: prev.desired, warming }, metrics, (m + 1) * 60 + 1);
  const last = e.activities[e.activities.length - 1];
  const reason: ScalingReason = e.desired === prev.desired || !last ? 'none'
    : last.policy === PlanPolicy.WAKE ? 'step-0-to-1'
      : last.policy === PlanPolicy.SLEEP ? 'scale-to-zero'
        : e.desired > prev.desired ? 'target-tracking-out' : 'target-tracking-in';
  return { state: { desired: e.desired, minute: m + 1, memory: e.memory, metrics }, reason };
}
