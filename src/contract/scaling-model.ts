/**
 * The scaling model: what EC2 Auto Scaling does with a scaling plan once a minute, pure and
 * time-stepped. Local mode's scaler (worker-runtime/src/local-fleet/scaler.ts) and the simulator
 * (bench/simulator/fleet-sim.ts) both call `evaluatePolicies`; the construct deploys the same plan
 * (src/backlog-scaling.ts), and a test reads the template back and compares it with the plan.
 *
 * Modelled: target tracking with its fixed alarms (scale out to ceil(capacity × metric ÷ target)
 * when the high alarm is in ALARM, in when the low one is; it cannot leave 0); step and simple
 * policies (step intervals relative to the threshold, cooldown, EstimatedInstanceWarmup: a
 * repeated step during warm-up adds only what it did not add yet); no dynamic scale-in while an
 * instance warms up; the group's min/max. Alarms re-invoke their policy every minute they stay in
 * ALARM (CloudWatch repeats Auto Scaling actions while in ALARM), so the model re-evaluates each minute.
 *
 * No imports but the contract's (see runtime-env.ts).
 */
import { evaluateAlarm, targetTrackingAlarms } from './alarm-evaluation';
import { MetricStore } from './metric-store';
import { ScalingPlan, StepPolicySpec, TargetTrackingSpec } from './scaling-plan';

/** What the model remembers between evaluations, per policy name. */
export interface PolicyMemory {
  /** When each policy last changed the capacity (for cooldowns). */
  readonly lastActivity: Readonly<Record<string, number>>;
  /** When each step policy last added capacity, and how much (for its warm-up). */
  readonly stepWarmup: Readonly<Record<string, { readonly at: number; readonly added: number }>>;
}

export const INITIAL_POLICY_MEMORY: PolicyMemory = { lastActivity: {}, stepWarmup: {} };

/** The group as the policies see it at one evaluation. */
export interface GroupSnapshot {
  /** The desired capacity before this evaluation. */
  readonly desired: number;
  /** Whether an instance is pending or still within the warm-up: no dynamic scale-in then. */
  readonly warming: boolean;
}

/** One policy's change to the desired capacity. */
export interface ScalingActivity {
  readonly policy: string;
  readonly from: number;
  readonly to: number;
}

export interface Evaluation {
  /** The new desired capacity, within the plan's min and max. */
  readonly desired: number;
  readonly memory: PolicyMemory;
  readonly activities: readonly ScalingActivity[];
}

/** Evaluates every policy of the plan at `now` (seconds), in the plan's order, against the metrics. */
export function evaluatePolicies(plan: ScalingPlan, memory: PolicyMemory, group: GroupSnapshot, metrics: MetricStore, now: number): Evaluation {
  let desired = group.desired;
  const lastActivity = { ...memory.lastActivity };
  const stepWarmup = { ...memory.stepWarmup };
  const activities: ScalingActivity[] = [];
  const clamp = (n: number): number => Math.max(plan.minCapacity, Math.min(plan.maxCapacity, n));

  // Target tracking sizes the group from its current capacity (warming instances included): 0 × anything is 0.
  const targetTracking = (p: TargetTrackingSpec): void => {
    const { high, low } = targetTrackingAlarms(p);
    const base = desired;
    const hi = evaluateAlarm(metrics, high, now);
    if (hi.inAlarm && hi.latest !== undefined && base > 0) {
      desired = Math.max(desired, Math.ceil((base * hi.latest) / p.targetValue));
      return;
    }
    if (p.disableScaleIn || group.warming) return;
    const lo = evaluateAlarm(metrics, low, now);
    if (lo.inAlarm && lo.latest !== undefined) {
      const target = Math.ceil((base * lo.latest) / p.targetValue);
      if (target < desired) desired = target;
    }
  };

  const step = (p: StepPolicySpec): void => {
    const last = lastActivity[p.name];
    if (last !== undefined && now - last < p.cooldownSeconds) return;
    const a = evaluateAlarm(metrics, p.alarm, now);
    if (!a.inAlarm) return;
    // With missing data treated as breaching, an alarm can fire with no readable value: take the threshold.
    const delta = (a.latest ?? p.alarm.threshold) - p.alarm.threshold;
    const s = p.steps.find((x) => (x.lower === undefined || delta >= x.lower) && (x.upper === undefined || delta <= x.upper));
    if (!s) return;
    const before = desired;
    switch (p.adjustmentType) {
      case 'ExactCapacity': desired = s.adjustment; break;
      case 'ChangeInCapacity': {
        let adj = s.adjustment;
        const warm = stepWarmup[p.name];
        if (adj > 0 && p.warmupSeconds && warm && now - warm.at < p.warmupSeconds) adj = Math.max(0, adj - warm.added);
        desired = desired + adj;
        if (adj > 0) stepWarmup[p.name] = { at: now, added: adj };
        break;
      }
      case 'PercentChangeInCapacity': {
        const change = (desired * s.adjustment) / 100;
        desired = desired + (change >= 0 ? Math.max(1, Math.floor(change)) : Math.min(-1, Math.ceil(change)));
        break;
      }
    }
    desired = clamp(desired);
    if (desired < before && group.warming) desired = before; // no dynamic scale-in while instances warm up
    if (desired !== before) lastActivity[p.name] = now;
  };

  for (const p of plan.policies) {
    const before = desired;
    if (p.kind === 'target-tracking') targetTracking(p);
    else step(p);
    if (clamp(desired) !== clamp(before)) activities.push({ policy: p.name, from: clamp(before), to: clamp(desired) });
  }
  return { desired: clamp(desired), memory: { lastActivity, stepWarmup }, activities };
}
