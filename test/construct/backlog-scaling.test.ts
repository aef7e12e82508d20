import { Duration } from 'aws-cdk-lib';
import { synthFleet } from './support/fleet-stack';
import { evaluate, Sample } from './support/metric-math';

// The scaling policies are checked twice: their shape in the template, and their behaviour, by
// evaluating the template's own metric-math expressions (support/metric-math.ts) on scenarios.
const { template, fleet } = synthFleet({ expectedProcessingTime: Duration.seconds(4), acceptableLatency: Duration.minutes(2), maxCapacity: 8 });
const policies = template.findResources('AWS::AutoScaling::ScalingPolicy');
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

function policyNamed(prefix: string): [string, any] {
  const found = Object.entries(policies).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one policy ${prefix}, found ${found.length}`);
  return found[0];
}
const [, targetTracking] = policyNamed('FleetScalingBacklogPerInstance');
const [wakeId, wake] = policyNamed('FleetScalingWake');
const [sleepId, sleep] = policyNamed('FleetScalingSleep');
const alarmActing = (policyId: string) => {
  const found = alarms.filter((a) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([{ 'Fn::GetAtt': [policyId, 'Arn'] }]));
  expect(found).toHaveLength(1);
  return found[0].Properties;
};
const wakeAlarm = alarmActing(wakeId);
const idleAlarm = alarmActing(sleepId);
const expressionOf = (metrics: any[]) => metrics.find((m) => m.Expression && m.ReturnData !== false).Expression as string;

const ttMetrics = targetTracking.Properties.TargetTrackingConfiguration.CustomizedMetricSpecification.Metrics;
const ttExpression = expressionOf(ttMetrics);
const target = targetTracking.Properties.TargetTrackingConfiguration.TargetValue as number;

describe('target tracking on backlog per instance', () => {
  test('target = acceptable latency ÷ expected processing time (120 s ÷ 4 s = 30)', () => {
    expect(target).toBe(30);
    expect(fleet.backlogPerInstanceTarget).toBe(30);
  });

  test('uses metric math through Metrics (visible + in flight) ÷ in-service, with scale-in enabled', () => {
    expect(targetTracking.Properties.PolicyType).toBe('TargetTrackingScaling');
    expect(targetTracking.Properties.TargetTrackingConfiguration.DisableScaleIn).toBe(false);
    const stat = (id: string) => ttMetrics.find((m: any) => m.Id === id).MetricStat;
    expect(stat('visible').Metric.MetricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(stat('inflight').Metric.MetricName).toBe('ApproximateNumberOfMessagesNotVisible');
    expect(stat('inservice').Metric).toMatchObject({ Namespace: 'AWS/AutoScaling', MetricName: 'GroupInServiceInstances' });
    expect(ttMetrics.filter((m: any) => m.ReturnData !== false)).toHaveLength(1);
  });

  test.each<[string, Sample, number]>([
    ['4 instances, 100 waiting, 20 in flight', { visible: 100, inflight: 20, inservice: 4 }, 30],
    ['0 instances, 1 waiting: no division by zero', { visible: 1, inflight: 0, inservice: 0 }, 1],
    ['group metric missing, 5 waiting', { visible: 5, inflight: undefined, inservice: undefined }, 5],
    ['idle queue with 2 instances', { visible: 0, inflight: 0, inservice: 2 }, 0],
    ['queue metrics missing (inactive queue)', { visible: undefined, inflight: undefined, inservice: 1 }, 0],
  ])('%s', (_name, sample, expected) => {
    expect(evaluate(ttExpression, sample)).toBe(expected);
  });

  test('target tracking alone cannot leave 0: new capacity = current × metric ÷ target = 0', () => {
    const metric = evaluate(ttExpression, { visible: 500, inflight: 0, inservice: 0 })!;
    expect(metric).toBe(500);
    expect(Math.ceil((0 * metric) / target)).toBe(0);
  });
});

describe('0 → 1: the wake policy', () => {
  const wakeExpression = expressionOf(wakeAlarm.Metrics);
  const fires = (s: Sample) => evaluate(wakeExpression, s)! >= wakeAlarm.Threshold;

  test('sets exactly one instance on a one-minute alarm (not +1: the upload wake may already have set 1 in the lagging minute)', () => {
    expect(wake.Properties).toMatchObject({
      PolicyType: 'StepScaling',
      AdjustmentType: 'ExactCapacity',
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    });
    expect(wakeAlarm).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, DatapointsToAlarm: 1, TreatMissingData: 'notBreaching' });
    const period = wakeAlarm.Metrics.find((m: any) => m.Id === 'desired').MetricStat.Period;
    expect(period).toBe(60);
  });

  test.each<[string, Sample, boolean]>([
    ['one message, group at 0', { desired: 0, visible: 1 }, true],
    ['one message, group metrics not yet published', { desired: undefined, visible: 1 }, true],
    ['empty queue, group at 0', { desired: 0, visible: 0 }, false],
    ['queue metrics missing, group at 0', { desired: 0, visible: undefined }, false],
    ['backlog while the group is running: left to target tracking', { desired: 3, visible: 400 }, false],
  ])('%s → fires: %s', (_name, sample, expected) => {
    expect(fires(sample)).toBe(expected);
  });
});

describe('→ 0: the sleep policy', () => {
  const idleExpression = expressionOf(idleAlarm.Metrics);
  const breaching = (s: Sample) => {
    const v = evaluate(idleExpression, s);
    return v === undefined ? idleAlarm.TreatMissingData === 'breaching' : v <= idleAlarm.Threshold;
  };

  test('sets exact capacity 0 (clamped to the group minimum) after 15 idle minutes', () => {
    expect(sleep.Properties).toMatchObject({
      PolicyType: 'StepScaling',
      AdjustmentType: 'ExactCapacity',
      StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: 0 }],
    });
    expect(idleAlarm).toMatchObject({ ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 0, EvaluationPeriods: 15, DatapointsToAlarm: 15, TreatMissingData: 'notBreaching' });
  });

  test.each<[string, Sample, boolean]>([
    ['nothing waiting, nothing in flight', { visible: 0, inflight: 0 }, true],
    ['a job still in flight', { visible: 0, inflight: 1 }, false],
    ['a message waiting', { visible: 1, inflight: 0 }, false],
    // A metrics gap is not an empty queue: it never scales a fleet with work to zero.
    ['queue metrics missing (a gap, or SQS stopped publishing)', { visible: undefined, inflight: undefined }, false],
    ['one of the two queue metrics missing', { visible: undefined, inflight: 0 }, false],
  ])('%s → breaching: %s', (_name, sample, expected) => {
    expect(breaching(sample)).toBe(expected);
  });
});

describe('a day in the life (the template policies on a minute-by-minute model of Auto Scaling)', () => {
  // Model: an instance is in service 3 minutes after it is requested; it drains `rate` messages per
  // minute; alarms see the current minute. Target tracking as documented by AWS: scale out when the
  // metric exceeds the target, scale in after 15 minutes below 90 % of it, to ceil(current × metric ÷ target).
  test('one message wakes the group from 0 to 1, a burst scales out, idleness returns it to 0', () => {
    const max = 8;
    const rate = 15;
    let desired = 0;
    const launched: number[] = [];
    let visible = 0;
    const arrivals = new Map<number, number>([[2, 1], [30, 600]]);
    const history: number[] = [];
    let lowMinutes = 0;
    let idleMinutes = 0;
    for (let minute = 0; minute < 150; minute++) {
      visible += arrivals.get(minute) ?? 0;
      const inservice = launched.filter((t) => minute - t >= 3).length;
      const processed = Math.min(visible, inservice * rate);
      visible -= processed;
      const inflight = 0;
      const wakeValue = evaluate(expressionOf(wakeAlarm.Metrics), { desired, visible })!;
      if (wakeValue >= wakeAlarm.Threshold) desired = Math.min(max, desired + 1);
      const metric = evaluate(ttExpression, { visible, inflight, inservice })!;
      if (desired > 0 && metric > target) desired = Math.min(max, Math.ceil((Math.max(inservice, 1) * metric) / target));
      lowMinutes = desired > 0 && metric < 0.9 * target ? lowMinutes + 1 : 0;
      if (lowMinutes >= 15) { desired = Math.ceil((desired * metric) / target); lowMinutes = 0; }
      idleMinutes = (evaluate(expressionOf(idleAlarm.Metrics), { visible, inflight }) ?? 0) <= 0 ? idleMinutes + 1 : 0;
      if (idleMinutes >= idleAlarm.EvaluationPeriods) desired = 0;
      while (launched.length < desired) launched.push(minute);
      launched.length = Math.min(launched.length, desired);
      history.push(desired);
    }
    expect(history.slice(0, 2)).toEqual([0, 0]);
    expect(history[2]).toBe(1); // the single message woke the group
    expect(Math.max(...history.slice(30, 60))).toBeGreaterThan(1); // the burst scaled out
    expect(Math.max(...history)).toBeLessThanOrEqual(max);
    expect(history[history.length - 1]).toBe(0); // and back to zero
    expect(visible).toBe(0); // every message was served
  });
});
