/**
 * The simulator's newer paths (their logic, not the report's numbers): the trace lower bound, the
 * inactive-queue metric delay, the upload wake and its bounded Auto Scaling calls, the worker's idle
 * self-release (the ski-rental rule stays within 2 × the lower bound), and the adaptive slot count.
 */
import { DEFAULT_SIM_CONFIG, SimConfig, simulate } from '../../bench/simulator/fleet-sim';
import { lowerBound } from '../../bench/simulator/lower-bound';
import { adaptiveSlots, ourWorker } from '../../bench/simulator/policies';
import { FleetPolicy, StepPolicySpec } from '../../bench/simulator/policy';
import { burstTrace, singleAfterIdleTrace, trickleTrace } from '../../bench/simulator/traces';

const SERVICE = { oursSeconds: 0.2024, oursCpuSeconds: 0.0024, sampleSeconds: 2.5 };
const CALM: SimConfig = { ...DEFAULT_SIM_CONFIG, spotInterruptionsPerInstanceHour: 0, transientFailureRate: 0 };
const INACTIVE = { afterSeconds: 6 * 3600, metricDelaySeconds: 900 };

/** The metric wake alone: ExactCapacity 1 when visible ≥ 1 for one minute (min 0, max 4). */
const metricWake: StepPolicySpec = {
  kind: 'step',
  name: 'wake',
  cooldownSeconds: 0,
  adjustmentType: 'ExactCapacity',
  alarm: {
    query: { metrics: { v: { metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', periodSeconds: 60 } } },
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  steps: [{ lower: 0, adjustment: 1 }],
};
function fleet(o: Partial<FleetPolicy> = {}): FleetPolicy {
  return { name: 't', source: 'test', minCapacity: 0, maxCapacity: 4, warmupSeconds: 0, policies: [metricWake], worker: ourWorker(SERVICE, 64), ...o };
}

describe('lower bound of a trace', () => {
  test('busy + one boot + Σ min(gap, boot), by hand', () => {
    // Stretches [0,1], [10,11], [500,501]: gaps 9 (stay: 9) and 489 (relaunch: 90); busy 3; one boot 90.
    const lb = lowerBound({ arrivals: [0, 10, 500], jobSeconds: 1, slots: 1, bootSeconds: 90, latencyGoalSeconds: 300 });
    expect(lb.instanceHours * 3600).toBeCloseTo(3 + 90 + 9 + 90, 9);
    expect([lb.gaps, lb.instances]).toEqual([2, 1]);
  });

  test('work beyond one instance in the latency window needs more instances, each booting once', () => {
    // 10 jobs of 100 s at once, 1 slot, goal 300 s: one instance finishes 3 in the window, so 4 instances.
    const lb = lowerBound({ arrivals: Array(10).fill(0), jobSeconds: 100, slots: 1, bootSeconds: 90, latencyGoalSeconds: 300 });
    expect(lb.instances).toBe(4);
    expect(lb.instanceHours * 3600).toBeCloseTo(1000 + 4 * 90, 9);
  });
});

describe('inactive queue and the upload wake', () => {
  test('after 24 h idle the metric wake waits out the 15-minute metric delay; the upload wake does not', () => {
    const metricOnly = simulate(fleet(), singleAfterIdleTrace(), { ...CALM, inactiveQueue: INACTIVE });
    const active = simulate(fleet(), singleAfterIdleTrace(), CALM);
    expect(metricOnly.wakeSeconds!).toBeGreaterThanOrEqual(900);
    expect(active.wakeSeconds!).toBeLessThan(300);
    const woken = simulate(fleet({ wake: { delaySeconds: 3, quietSeconds: 10 } }), singleAfterIdleTrace(), { ...CALM, inactiveQueue: INACTIVE });
    expect(woken.wakeSeconds).toBe(3);
    expect(woken.p50Seconds).toBeCloseTo(3 + CALM.bootSeconds, 0);
  });

  test('a burst of 2000 uploads in 2 minutes: one Describe per 10 s quiet interval, one Set', () => {
    const worker = { ...ourWorker(SERVICE, 64), protectsBusyInstances: false };
    const wakeOnly = fleet({ policies: [], wake: { delaySeconds: 3, quietSeconds: 10 }, worker });
    const r = simulate(wakeOnly, burstTrace(1), CALM);
    expect(r.completed).toBe(2000);
    // 120 s of uploads: ≤ 13 intervals, each at most one Describe; one Set (0 → 1).
    expect(r.autoscalingCalls).toBeLessThanOrEqual(13 + 1);
    expect(r.maxInService).toBe(1);
  });
});

describe('idle self-release (ski rental)', () => {
  test('releasing after one boot time idle stays within 2 × the lower bound on a trickle, and ends at zero', () => {
    const trace = trickleTrace(5);
    const skiRental = fleet({ policies: [], wake: { delaySeconds: 0, quietSeconds: 10 }, worker: ourWorker(SERVICE, 64, CALM.bootSeconds) });
    const r = simulate(skiRental, trace, CALM);
    const lb = lowerBound({
      arrivals: trace.arrivals, jobSeconds: SERVICE.oursSeconds, slots: 64, bootSeconds: CALM.bootSeconds, latencyGoalSeconds: 300,
    });
    expect(r.completed).toBe(trace.arrivals.length);
    expect(r.instanceHours / lb.instanceHours).toBeLessThanOrEqual(2);
    expect(r.instanceHours / lb.instanceHours).toBeGreaterThanOrEqual(1);
    expect(r.endsAtZero).toBe(true);
  });

  test('never below the group minimum', () => {
    const r = simulate(fleet({ minCapacity: 1, policies: [], worker: ourWorker(SERVICE, 64, 90) }), trickleTrace(5), CALM);
    expect(r.endsAtZero).toBe(false);
    expect(r.instanceHours).toBeCloseTo(6, 1);
  });
});

describe('adaptive slots', () => {
  test('storage-bound jobs: the runtime maximum; otherwise where the event loop is 97 % busy', () => {
    // 1 CPU-ms in a 200 ms job: 194 slots keep the loop 97 % busy (below the runtime's 256).
    expect(adaptiveSlots({ oursSeconds: 0.2, oursCpuSeconds: 0.001, sampleSeconds: 1 })).toBe(194);
    // 0.5 CPU-ms in a 200 ms job: the loop would take 388; the runtime stops at its maximum.
    expect(adaptiveSlots({ oursSeconds: 0.2, oursCpuSeconds: 0.0005, sampleSeconds: 1 })).toBe(256);
    expect(adaptiveSlots({ oursSeconds: 0.25, oursCpuSeconds: 0.05, sampleSeconds: 1 })).toBe(4);
  });
});
