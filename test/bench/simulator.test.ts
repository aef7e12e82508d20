/**
 * The scaling simulator's logic (not its numbers): alarm datapoint rules, metric publishing delay,
 * metric math, boot delay, 0 → 1 and back, and reading policies out of a synthesized template.
 */
import { Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DEFAULT_SIM_CONFIG, SimConfig, simulate } from '../../bench/simulator/fleet-sim';
import { lowerBound } from '../../bench/simulator/lower-bound';
import { ecsPatternsPolicy, ourWorker, samplePolicy } from '../../bench/simulator/policies';
import { AlarmSpec, FleetPolicy, MetricQuery, TargetTrackingSpec } from '../../bench/simulator/policy';
import { CfnTemplate, fleetPolicyFromTemplate } from '../../bench/simulator/template-policy';
import { burstTrace, periodicTrace, singleTrace, Trace, trickleTrace } from '../../bench/simulator/traces';
import { evaluateAlarm, latestDatapoints, targetTrackingAlarms } from '../../src/contract/alarm-evaluation';
import { evaluateExpression } from '../../src/contract/metric-math';
import { MetricStore } from '../../src/contract/metric-store';
import { testApp } from '../support/test-app';

const SERVICE = { oursSeconds: 0.3, oursCpuSeconds: 0.0024, sampleSeconds: 2.5 };
/** No randomness from Spot or failures unless a test asks for it. */
const CALM: SimConfig = { ...DEFAULT_SIM_CONFIG, spotInterruptionsPerInstanceHour: 0, transientFailureRate: 0 };
const visibleQuery: MetricQuery = { metrics: { m1: { metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', periodSeconds: 60 } } };

function storeWith(values: number[], delays = { sqsSeconds: 0, groupSeconds: 0 }): MetricStore {
  const s = new MetricStore(delays);
  values.forEach((v, m) => s.put('ApproximateNumberOfMessagesVisible', m, v));
  return s;
}

describe('alarm datapoint rules', () => {
  const high: AlarmSpec = { query: visibleQuery, comparison: 'GreaterThanThreshold', threshold: 2, evaluationPeriods: 3, datapointsToAlarm: 3 };

  test('3 of 3 breaching datapoints put the alarm in ALARM, 2 of 3 do not', () => {
    expect(evaluateAlarm(storeWith([0, 5, 5, 5]), high, 240).inAlarm).toBe(true);
    expect(evaluateAlarm(storeWith([5, 0, 5, 5]), high, 240).inAlarm).toBe(false);
    expect(evaluateAlarm(storeWith([5, 5, 5, 0]), high, 240).inAlarm).toBe(false);
  });

  test('M of N: 2 of 3 is enough when datapointsToAlarm is 2', () => {
    expect(evaluateAlarm(storeWith([5, 0, 5]), { ...high, datapointsToAlarm: 2 }, 180).inAlarm).toBe(true);
  });

  test('target tracking: 3 datapoints above the target to scale out, 15 below 90 % of it to scale in', () => {
    const tt: TargetTrackingSpec = { kind: 'target-tracking', name: 't', query: visibleQuery, targetValue: 10, disableScaleIn: false };
    const { high: out, low } = targetTrackingAlarms(tt);
    expect([out.evaluationPeriods, out.datapointsToAlarm, out.threshold]).toEqual([3, 3, 10]);
    expect([low.evaluationPeriods, low.datapointsToAlarm, low.threshold]).toEqual([15, 15, 9]);
    // 14 minutes low is not enough to scale in; the 15th is.
    const low14 = storeWith([20, ...new Array(14).fill(0)]);
    expect(evaluateAlarm(low14, low, 15 * 60).inAlarm).toBe(false);
    const low15 = storeWith([20, ...new Array(15).fill(0)]);
    expect(evaluateAlarm(low15, low, 16 * 60).inAlarm).toBe(true);
  });

  test('missing datapoints breach only with TreatMissingData breaching', () => {
    const idle: AlarmSpec = { query: visibleQuery, comparison: 'LessThanOrEqualToThreshold', threshold: 0, evaluationPeriods: 2, datapointsToAlarm: 2 };
    const empty = new MetricStore({ sqsSeconds: 0, groupSeconds: 0 });
    expect(evaluateAlarm(empty, idle, 600).inAlarm).toBe(false);
    expect(evaluateAlarm(empty, { ...idle, treatMissingData: 'breaching' }, 600).inAlarm).toBe(true);
  });
});

describe('metric publishing delay', () => {
  test('a minute is readable only after its delay', () => {
    const s = storeWith([7], { sqsSeconds: 120, groupSeconds: 60 });
    const stat = visibleQuery.metrics.m1;
    expect(s.datapoint(stat, 60, 179)).toBeUndefined();
    expect(s.datapoint(stat, 60, 180)).toBe(7);
  });

  test('the alarm window shifts back past unpublished minutes', () => {
    const s = storeWith([1, 2, 3, 4], { sqsSeconds: 120, groupSeconds: 60 });
    // At 4:00 minutes 0 and 1 (ending 1:00, 2:00) are published, minutes 2 and 3 are not.
    expect(latestDatapoints(s, visibleQuery, 240, 2)).toEqual([1, 2]);
  });

  test('periods aggregate their minutes with the statistic', () => {
    const s = storeWith([1, 9, 3, 4, 5]);
    expect(s.datapoint({ metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum', periodSeconds: 300 }, 300, 300)).toBe(9);
    expect(s.datapoint({ metric: 'ApproximateNumberOfMessagesVisible', statistic: 'Average', periodSeconds: 300 }, 300, 300)).toBeCloseTo(4.4);
  });
});

describe('metric math', () => {
  test('division by zero and missing values give no datapoint; FILL and IF handle them', () => {
    expect(evaluateExpression('m1 / m2', { m1: 10, m2: 0 })).toBeUndefined();
    expect(evaluateExpression('m1 / m2', { m1: undefined, m2: 2 })).toBeUndefined();
    expect(evaluateExpression('FILL(m1, 0) + 1', { m1: undefined })).toBe(1);
    expect(evaluateExpression('(a + b) / IF(c > 0, c, 1)', { a: 6, b: 2, c: 0 })).toBe(8);
    expect(evaluateExpression('IF(d < 1 AND v > 0, 1, 0)', { d: 0, v: 3 })).toBe(1);
    expect(evaluateExpression('IF(d < 1 AND v > 0, 1, 0)', { d: 1, v: 3 })).toBe(0);
  });

  test('unknown ids and unsupported syntax are clear errors', () => {
    expect(() => evaluateExpression('m1 / m3', { m1: 1 })).toThrow(/unknown id m3/);
    expect(() => evaluateExpression('SEARCH(x)', { x: 1 })).toThrow(/unsupported|unknown/);
  });
});

/** A scale-from-zero policy synthesized with aws-cdk-lib (not the construct): the template reader's input. */
function zeroToOneTemplate(): CfnTemplate {
  const app = testApp();
  const stack = new Stack(app, 'T');
  const group = new autoscaling.CfnAutoScalingGroup(stack, 'Group', { minSize: '0', maxSize: '4' });
  new autoscaling.CfnScalingPolicy(stack, 'Track', {
    autoScalingGroupName: group.ref,
    policyType: 'TargetTrackingScaling',
    targetTrackingConfiguration: {
      targetValue: 50,
      customizedMetricSpecification: {
        metrics: [
          { id: 'v', returnData: false, metricStat: { metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible' }, stat: 'Average' } },
          { id: 'n', returnData: false, metricStat: { metric: { namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances' }, stat: 'Average' } },
          { id: 'e', expression: 'v / n', returnData: true },
        ],
      },
    },
  });
  const wake = new autoscaling.CfnScalingPolicy(stack, 'Wake', {
    autoScalingGroupName: group.ref,
    policyType: 'StepScaling',
    adjustmentType: 'ExactCapacity',
    stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
  });
  const sleep = new autoscaling.CfnScalingPolicy(stack, 'Sleep', {
    autoScalingGroupName: group.ref,
    policyType: 'StepScaling',
    adjustmentType: 'ExactCapacity',
    stepAdjustments: [{ metricIntervalUpperBound: 0, scalingAdjustment: 0 }],
  });
  new cloudwatch.CfnAlarm(stack, 'WakeAlarm', {
    alarmActions: [wake.attrArn],
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    statistic: 'Maximum',
    period: 60,
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    evaluationPeriods: 1,
  });
  new cloudwatch.CfnAlarm(stack, 'IdleAlarm', {
    alarmActions: [sleep.attrArn],
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    statistic: 'Maximum',
    period: 60,
    comparisonOperator: 'LessThanOrEqualToThreshold',
    threshold: 0,
    evaluationPeriods: 15,
    treatMissingData: 'breaching',
  });
  return app.synth().getStackByName('T').template as CfnTemplate;
}

describe('reading policies from a synthesized template', () => {
  test('min/max, target tracking with metric math, and step policies with the alarms that invoke them', () => {
    const fleet = fleetPolicyFromTemplate(zeroToOneTemplate(), 'zero', 'test', ourWorker(SERVICE));
    expect([fleet.minCapacity, fleet.maxCapacity]).toEqual([0, 4]);
    const tt = fleet.policies.find((p) => p.kind === 'target-tracking') as TargetTrackingSpec;
    expect(tt.targetValue).toBe(50);
    expect(tt.query.expression).toBe('v / n');
    expect(Object.keys(tt.query.metrics).sort()).toEqual(['n', 'v']);
    const steps = fleet.policies.filter((p) => p.kind === 'step');
    expect(steps.map((s) => s.kind === 'step' && [s.alarm.threshold, s.alarm.evaluationPeriods, s.adjustmentType, s.steps[0].adjustment])).toEqual([
      [1, 1, 'ExactCapacity', 1],
      [0, 15, 'ExactCapacity', 0],
    ]);
  });

  test('a step policy without an alarm is a clear error', () => {
    const t = zeroToOneTemplate();
    delete (t.Resources as any).WakeAlarm;
    expect(() => fleetPolicyFromTemplate(t, 'x', 'x', ourWorker(SERVICE))).toThrow(/Wake.*no CloudWatch alarm invokes it/);
  });
});

describe('fleet dynamics', () => {
  const zeroFleet = (): FleetPolicy => fleetPolicyFromTemplate(zeroToOneTemplate(), 'zero', 'test', ourWorker(SERVICE));

  test('a single message scales the group 0 → 1 after metric delay, alarm evaluation and boot, then back to 0', () => {
    const r = simulate(zeroFleet(), singleTrace(330, 3600), CALM);
    expect(r.completed).toBe(1);
    // Upload at 5:30 is in minute 5's sample (taken at 6:00), readable 2 min later; the alarm evaluates at 8:01; boot 90 s.
    const expectedFirst = 8 * 60 + 1 + CALM.bootSeconds - 330;
    expect(r.firstInstanceSeconds).toBeCloseTo(expectedFirst, 6);
    expect(r.p50Seconds).toBeGreaterThanOrEqual(expectedFirst);
    expect(r.p50Seconds).toBeLessThan(expectedFirst + 5);
    expect(r.endsAtZero).toBe(true);
    expect(r.maxInService).toBe(1);
  });

  test('boot time is paid before any work: a longer boot delays the first PDF by the difference', () => {
    const a = simulate(zeroFleet(), singleTrace(), CALM);
    const b = simulate(zeroFleet(), singleTrace(), { ...CALM, bootSeconds: CALM.bootSeconds + 100 });
    expect(b.p50Seconds - a.p50Seconds).toBeCloseTo(100, 0);
  });

  test('a group with min 1 never reaches zero and idles between trickled images', () => {
    const r = simulate(samplePolicy(SERVICE, 4), trickleTrace(7), CALM);
    expect(r.endsAtZero).toBe(false);
    expect(r.instanceHours).toBeCloseTo(6, 1);
    expect(r.idleBeyondScaleInHours).toBeGreaterThan(0);
  });

  test('the sample deletes failed conversions (lost); our worker retries them', () => {
    const cfg = { ...CALM, transientFailureRate: 0.05 };
    const trace = burstTrace(3, 200);
    const sample = simulate(samplePolicy(SERVICE, 4), trace, cfg);
    const ours = simulate(ecsPatternsPolicy(SERVICE, 4), trace, cfg);
    expect(sample.lost).toBeGreaterThan(0);
    expect(sample.lost + sample.completed).toBe(200);
    expect(ours.lost).toBe(0);
    expect(ours.completed + ours.deadLettered).toBe(200);
  });

  test('target tracking scales out by capacity × metric ÷ target, bounded by max', () => {
    const r = simulate(samplePolicy(SERVICE, 6), burstTrace(1, 500), CALM);
    expect(r.maxInService).toBe(6);
  });

  test('idle self-release after one boot time: spends less than keeping the instance, within twice the trace\'s lower bound, and ends at zero', () => {
    const boot = CALM.bootSeconds;
    const releasing = fleetPolicyFromTemplate(zeroToOneTemplate(), 'zero', 'test', ourWorker(SERVICE, 2, boot));
    const keeping = zeroFleet();
    for (const trace of [trickleTrace(7), singleTrace()]) {
      const r = simulate(releasing, trace, CALM);
      const lb = lowerBound({ arrivals: trace.arrivals, jobSeconds: SERVICE.oursSeconds, slots: 2, bootSeconds: boot, latencyGoalSeconds: 300 });
      expect(r.completed).toBe(trace.arrivals.length);
      expect(r.instanceHours).toBeLessThanOrEqual(2 * lb.instanceHours * 1.02);
      expect(r.instanceHours).toBeLessThan(simulate(keeping, trace, CALM).instanceHours);
      expect(r.endsAtZero).toBe(true);
    }
  });

  test('the early leave (sparse arrivals): less than the plain release on a trickle, within twice the bound on a trace built against it, '
    + 'no more instances on a burst', () => {
    const boot = CALM.bootSeconds;
    const plain = fleetPolicyFromTemplate(zeroToOneTemplate(), 'plain', 'test', ourWorker(SERVICE, 2, boot));
    const early = fleetPolicyFromTemplate(zeroToOneTemplate(), 'early', 'test', ourWorker(SERVICE, 2, boot, true));
    const bound = (t: Trace): number => lowerBound({
      arrivals: t.arrivals, jobSeconds: SERVICE.oursSeconds, slots: 2, bootSeconds: boot, latencyGoalSeconds: 300,
    }).instanceHours;
    const trickle = trickleTrace(7);
    const e = simulate(early, trickle, CALM);
    expect(e.completed).toBe(trickle.arrivals.length);
    expect(e.instanceHours).toBeLessThan(simulate(plain, trickle, CALM).instanceHours);
    // Each image arrives just after the instance of the previous one left early: every image pays a relaunch.
    const trap = periodicTrace('trap', boot + 5 + 1, 60);
    const t = simulate(early, trap, CALM);
    expect(t.completed).toBe(60);
    expect(t.instanceHours).toBeLessThanOrEqual(2 * bound(trap));
    const burst = burstTrace(3, 400);
    expect(simulate(early, burst, CALM).maxInService).toBeLessThanOrEqual(simulate(plain, burst, CALM).maxInService);
  });

  test('same seed, same result', () => {
    const cfg = { ...DEFAULT_SIM_CONFIG, spotInterruptionsPerInstanceHour: 0.5 };
    const a = simulate(samplePolicy(SERVICE, 4), burstTrace(5, 300), cfg);
    const b = simulate(samplePolicy(SERVICE, 4), burstTrace(5, 300), cfg);
    expect(b).toEqual(a);
    expect(a.spotInterruptions).toBeGreaterThan(0);
  });
});
