/**
 * Reads a fleet's scaling policies out of a synthesized CloudFormation template, so that the
 * simulator runs what the construct actually deploys: the Auto Scaling group's min/max, every
 * AWS::AutoScaling::ScalingPolicy (target tracking with predefined-free customized metrics or metric
 * math; step and simple scaling together with the CloudWatch alarm whose actions invoke them).
 */
import {
  AdjustmentType, ComparisonOperator, FleetPolicy, MetricName, MetricQuery, MetricStat, ScalingPolicySpec, Statistic, StepAdjustment,
  UploadWake, WorkerBehaviour,
} from './policy';
import { DEFAULT_WARMUP_SECONDS } from '../../src/contract/scaling-plan';

type Json = any; // CloudFormation templates are untyped JSON

export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Json }>;
}

const KNOWN_METRICS: ReadonlySet<string> = new Set<MetricName>([
  'ApproximateNumberOfMessagesVisible',
  'ApproximateNumberOfMessagesNotVisible',
  'GroupInServiceInstances',
  'GroupDesiredCapacity',
]);

function metricName(name: unknown, where: string): MetricName {
  if (typeof name !== 'string' || !KNOWN_METRICS.has(name)) {
    throw new Error(`${where}: metric ${String(name)} is not simulated (known: ${[...KNOWN_METRICS].join(', ')})`);
  }
  return name as MetricName;
}

function statistic(s: unknown, where: string): Statistic {
  const ok = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'];
  if (typeof s !== 'string' || !ok.includes(s)) throw new Error(`${where}: statistic ${String(s)} is not simulated`);
  return s as Statistic;
}

function num(v: unknown, where: string): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${where}: expected a number, got ${JSON.stringify(v)}`);
  return n;
}

/** A `Metrics` array (metric math) as found in TargetTrackingConfiguration and in alarms. */
function mathQuery(metrics: Json[], defaultPeriod: number, where: string): MetricQuery {
  const stats: Record<string, MetricStat> = {};
  const expressions: Record<string, string> = {};
  let returned: Json | undefined;
  for (const m of metrics) {
    if (m.MetricStat) {
      stats[m.Id] = {
        metric: metricName(m.MetricStat.Metric?.MetricName, where),
        statistic: statistic(m.MetricStat.Stat, where),
        periodSeconds: m.MetricStat.Period !== undefined ? num(m.MetricStat.Period, where) : defaultPeriod,
      };
    } else if (m.Expression) {
      expressions[m.Id] = m.Expression;
    }
    if (m.ReturnData !== false && (m.ReturnData === true || returned === undefined)) returned = m;
  }
  if (!returned) throw new Error(`${where}: no metric returns data`);
  if (returned.MetricStat) return { metrics: { [returned.Id]: stats[returned.Id] } };
  // Inline nested expressions so the evaluator sees metric ids only.
  let expr: string = returned.Expression;
  for (let pass = 0; pass < 5; pass++) {
    for (const [id, e] of Object.entries(expressions)) {
      if (id !== returned.Id) expr = expr.replace(new RegExp(`\\b${id}\\b`, 'g'), `(${e})`);
    }
  }
  const unknown = (expr.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).filter((w) => !['FILL', 'IF', 'AND', 'OR'].includes(w.toUpperCase()) && !(w in stats));
  if (unknown.length > 0) throw new Error(`${where}: expression ${expr} refers to ${unknown.join(', ')}, which no metric in the query defines`);
  return { metrics: stats, expression: expr };
}

function singleMetric(name: unknown, stat: unknown, periodSeconds: number, where: string): MetricQuery {
  return { metrics: { m1: { metric: metricName(name, where), statistic: statistic(stat, where), periodSeconds } } };
}

function refersTo(action: Json, logicalId: string): boolean {
  return action?.Ref === logicalId || (Array.isArray(action?.['Fn::GetAtt']) && action['Fn::GetAtt'][0] === logicalId);
}

function alarmFor(template: CfnTemplate, policyId: string): Json | undefined {
  return Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && (r.Properties?.AlarmActions ?? []).some((a: Json) => refersTo(a, policyId)),
  )?.Properties;
}

function readPolicy(template: CfnTemplate, id: string, props: Json): ScalingPolicySpec {
  const where = `scaling policy ${id}`;
  if (props.PolicyType === 'TargetTrackingScaling') {
    const tt = props.TargetTrackingConfiguration;
    const c = tt.CustomizedMetricSpecification;
    if (!c) throw new Error(`${where}: only customized metrics are simulated`);
    const query: MetricQuery = c.Metrics
      ? mathQuery(c.Metrics, 60, where)
      : singleMetric(c.MetricName, c.Statistic, c.Period ? num(c.Period, where) : 60, where);
    return {
      kind: 'target-tracking',
      name: id,
      query,
      targetValue: num(tt.TargetValue, where),
      disableScaleIn: tt.DisableScaleIn === true || tt.DisableScaleIn === 'true',
      warmupSeconds: props.EstimatedInstanceWarmup !== undefined ? num(props.EstimatedInstanceWarmup, where) : undefined,
    };
  }
  const alarm = alarmFor(template, id);
  if (!alarm) throw new Error(`${where}: no CloudWatch alarm invokes it`);
  const alarmQuery: MetricQuery = alarm.Metrics
    ? mathQuery(alarm.Metrics, 60, `${where} alarm`)
    : singleMetric(alarm.MetricName, alarm.Statistic, num(alarm.Period, `${where} alarm`), `${where} alarm`);
  const evaluationPeriods = num(alarm.EvaluationPeriods, `${where} alarm`);
  const alarmSpec = {
    query: alarmQuery,
    comparison: alarm.ComparisonOperator as ComparisonOperator,
    threshold: num(alarm.Threshold, `${where} alarm`),
    evaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm !== undefined ? num(alarm.DatapointsToAlarm, `${where} alarm`) : evaluationPeriods,
    treatMissingData: alarm.TreatMissingData,
  };
  const adjustmentType = (props.AdjustmentType ?? 'ChangeInCapacity') as AdjustmentType;
  let steps: StepAdjustment[];
  if (props.PolicyType === 'StepScaling') {
    steps = (props.StepAdjustments as Json[]).map((s) => ({
      lower: s.MetricIntervalLowerBound !== undefined ? num(s.MetricIntervalLowerBound, where) : undefined,
      upper: s.MetricIntervalUpperBound !== undefined ? num(s.MetricIntervalUpperBound, where) : undefined,
      adjustment: num(s.ScalingAdjustment, where),
    }));
  } else {
    steps = [{ adjustment: num(props.ScalingAdjustment, where) }];
  }
  return {
    kind: 'step',
    name: id,
    alarm: alarmSpec,
    adjustmentType,
    steps,
    cooldownSeconds: props.Cooldown !== undefined ? num(props.Cooldown, where) : 0,
    warmupSeconds: props.EstimatedInstanceWarmup !== undefined ? num(props.EstimatedInstanceWarmup, where) : undefined,
  };
}

/** The fleet policy a template deploys (exactly one Auto Scaling group with at least one scaling policy). */
export function fleetPolicyFromTemplate(
  template: CfnTemplate, name: string, source: string, worker: WorkerBehaviour, wakeDelaySeconds = 0,
): FleetPolicy {
  const entries = Object.entries(template.Resources);
  const policies = entries.filter(([, r]) => r.Type === 'AWS::AutoScaling::ScalingPolicy');
  if (policies.length === 0) throw new Error('the template has no AWS::AutoScaling::ScalingPolicy');
  const groupIds = new Set(policies.map(([, r]) => r.Properties?.AutoScalingGroupName?.Ref).filter(Boolean));
  if (groupIds.size !== 1) throw new Error(`expected the scaling policies to target one group, found ${groupIds.size}`);
  const groupId = [...groupIds][0] as string;
  const group = template.Resources[groupId]?.Properties;
  if (!group) throw new Error(`the scaling policies refer to ${groupId}, which is not in the template`);
  return {
    name,
    source,
    minCapacity: num(group.MinSize, `${groupId}.MinSize`),
    maxCapacity: num(group.MaxSize, `${groupId}.MaxSize`),
    warmupSeconds: group.DefaultInstanceWarmup !== undefined ? num(group.DefaultInstanceWarmup, `${groupId}.DefaultInstanceWarmup`) : DEFAULT_WARMUP_SECONDS,
    policies: policies.map(([id, r]) => readPolicy(template, id, r.Properties)),
    worker,
    wake: readUploadWake(template, groupId, wakeDelaySeconds),
  };
}

/**
 * The event-driven wake, when the template has one: an EventBridge rule for S3 `Object Created`
 * whose target is a function that is given this group (`GROUP_NAME`) and its quiet interval.
 */
function readUploadWake(template: CfnTemplate, groupId: string, delaySeconds: number): UploadWake | undefined {
  for (const [, rule] of Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Events::Rule')) {
    const pattern = rule.Properties?.EventPattern;
    if (!pattern?.source?.includes('aws.s3') || !pattern?.['detail-type']?.includes('Object Created')) continue;
    for (const target of rule.Properties?.Targets ?? []) {
      const fnId = target.Arn?.['Fn::GetAtt']?.[0];
      const env = template.Resources[fnId]?.Properties?.Environment?.Variables;
      if (env?.GROUP_NAME?.Ref === groupId) return { delaySeconds, quietSeconds: num(env.QUIET_SECONDS, `${fnId}.QUIET_SECONDS`) };
    }
  }
  return undefined;
}
