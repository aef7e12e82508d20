import { backlogScalingPolicies, ScalingPlan } from '../../src/contract/scaling-plan';
import { backlogPerInstanceTarget, evaluate, initialScalerState, ScalerState } from '../../worker-runtime/src/local-fleet/scaler';

// The construct's three policies with a target of 10, at most 4 workers, zero after 3 idle minutes.
const p = backlogScalingPolicies({ targetBacklogPerInstance: 10, instanceWarmupSeconds: 180, scaleToZeroAfterMinutes: 3 });
const policy: ScalingPlan = { minCapacity: 0, maxCapacity: 4, warmupSeconds: 180, policies: [p.targetTracking, p.wake, p.sleep] };

function run(points: Array<[number, number, number]>, state: ScalerState = initialScalerState(policy)) {
  const reasons: string[] = [];
  for (const [visible, inFlight, inService] of points) {
    const d = evaluate(policy, state, { visible, inFlight, inService });
    state = d.state;
    reasons.push(`${d.reason}:${state.desired}`);
  }
  return { state, reasons };
}

describe('local scaler: the construct\'s policy', () => {
  test('target = floor(latency ÷ processing time), at least 1, and the construct\'s validation', () => {
    expect(backlogPerInstanceTarget(300, 10)).toBe(30);
    expect(backlogPerInstanceTarget(25, 10)).toBe(2);
    expect(backlogPerInstanceTarget(10, 10)).toBe(1);
    expect(() => backlogPerInstanceTarget(5, 10)).toThrow(/exceeds the acceptable latency/);
  });

  test('one visible message starts the group from zero at the first datapoint', () => {
    expect(run([[0, 0, 0], [1, 0, 0]]).reasons).toEqual(['none:0', 'step-0-to-1:1']);
  });

  test('target tracking scales out to ceil(backlog ÷ target) after 3 datapoints above target, capped at max', () => {
    const { reasons } = run([[1, 0, 0], [35, 0, 1], [35, 0, 1], [35, 0, 1], [200, 0, 4], [200, 0, 4], [200, 0, 4]]);
    expect(reasons).toEqual(['step-0-to-1:1', 'none:1', 'none:1', 'target-tracking-out:4', 'none:4', 'none:4', 'none:4']);
  });

  test('target tracking scales in to ceil(backlog ÷ target) after 15 datapoints below 90 % of it; an empty queue for scaleToZeroAfter minutes goes to zero', () => {
    const busy = Array.from({ length: 15 }, () => [5, 2, 3] as [number, number, number]);
    const first = run([[50, 0, 0], [50, 0, 1], [50, 0, 1], [50, 0, 1], ...busy]);
    expect(first.state.desired).toBe(1);
    expect(first.reasons).toContain('target-tracking-in:1');
    // An empty queue for scaleToZeroAfter minutes: the sleep step. (After 15 minutes below 90 % of the
    // target, as in \`first\`, target tracking itself scales an empty queue in, so start afresh.)
    const idle = run([[1, 0, 0], [0, 1, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1]]);
    expect(idle.reasons.slice(1)).toEqual(['none:1', 'none:1', 'none:1', 'scale-to-zero:0']);
  });

  test('backlog counts messages in flight, and 0 instances in service count as 1 (the construct\'s metric math)', () => {
    // 5 visible + 30 in flight on 1 instance is 35 per instance: above the target of 10.
    expect(run([[1, 0, 0], [5, 30, 1], [5, 30, 1], [5, 30, 1]]).reasons.pop()).toBe('target-tracking-out:4');
    // Instances still launching (none in service): the backlog is divided by 1, not by 0.
    expect(run([[1, 0, 0], [25, 0, 0], [25, 0, 0], [25, 0, 0]]).reasons.pop()).toBe('target-tracking-out:3');
  });
});
