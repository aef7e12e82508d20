/**
 * CloudWatch alarm evaluation: an alarm looks at its latest N complete, published periods and is in
 * ALARM when at least M of them breach the threshold. Missing datapoints count as breaching only
 * with TreatMissingData `breaching` (an approximation of CloudWatch's rules for the other modes).
 *
 * Target tracking creates two such alarms per policy; their shape is fixed by the service (for a
 * 1-minute metric: 3 of 3 datapoints above the target to scale out, 15 of 15 below 90 % of it to
 * scale in; scaling-plan.ts cites the sources) and is reproduced by `targetTrackingAlarms`.
 * Part of the scaling model (scaling-model.ts); no imports but the contract's.
 */
import { evaluateExpression } from './metric-math';
import { MetricStore } from './metric-store';
import { AlarmSpec, ComparisonOperator, MetricQuery, TARGET_TRACKING_ALARMS, TargetTrackingSpec } from './scaling-plan';

export function queryPeriod(query: MetricQuery): number {
  const periods = new Set(Object.values(query.metrics).map((m) => m.periodSeconds));
  if (periods.size !== 1) throw new Error('all metrics of a query must share one period');
  return [...periods][0];
}

/** The value of a query for the period ending at `periodEnd`, as readable at `now`. */
export function queryDatapoint(store: MetricStore, query: MetricQuery, periodEnd: number, now: number): number | undefined {
  const vars: Record<string, number | undefined> = {};
  for (const [id, stat] of Object.entries(query.metrics)) vars[id] = store.datapoint(stat, periodEnd, now);
  const ids = Object.keys(vars);
  if (!query.expression) {
    if (ids.length !== 1) throw new Error('a query without an expression must have exactly one metric');
    return vars[ids[0]];
  }
  return evaluateExpression(query.expression, vars);
}

/** The latest `count` datapoints readable at `now`, newest last (undefined where missing). */
export function latestDatapoints(store: MetricStore, query: MetricQuery, now: number, count: number): Array<number | undefined> {
  const period = queryPeriod(query);
  // The newest period that could be complete: the one ending at the last period boundary ≤ now.
  const lastEnd = Math.floor(now / period) * period;
  // Skip back over periods that are still unpublished, so a publishing delay shifts the window, not empties it.
  let end = lastEnd;
  const maxDelay = Math.max(...Object.values(query.metrics).map((m) => store.delayOf(m.metric)));
  while (end > 0 && end + maxDelay > now) end -= period;
  const out: Array<number | undefined> = [];
  for (let i = count - 1; i >= 0; i--) {
    const e = end - i * period;
    out.push(e > 0 ? queryDatapoint(store, query, e, now) : undefined);
  }
  return out;
}

export function breaches(value: number | undefined, comparison: ComparisonOperator, threshold: number): boolean {
  if (value === undefined) return false;
  switch (comparison) {
    case 'GreaterThanOrEqualToThreshold': return value >= threshold;
    case 'GreaterThanThreshold': return value > threshold;
    case 'LessThanThreshold': return value < threshold;
    case 'LessThanOrEqualToThreshold': return value <= threshold;
  }
}

export interface AlarmState {
  readonly inAlarm: boolean;
  /** The newest readable datapoint (what a step policy compares against its steps). */
  readonly latest: number | undefined;
}

export function evaluateAlarm(store: MetricStore, alarm: AlarmSpec, now: number): AlarmState {
  const points = latestDatapoints(store, alarm.query, now, alarm.evaluationPeriods);
  const missingBreaches = alarm.treatMissingData === 'breaching';
  const breaching = points.filter((p) => (p === undefined ? missingBreaches : breaches(p, alarm.comparison, alarm.threshold))).length;
  return { inAlarm: breaching >= alarm.datapointsToAlarm, latest: points[points.length - 1] };
}

export function targetTrackingAlarms(spec: TargetTrackingSpec): { high: AlarmSpec; low: AlarmSpec } {
  // With a 5-minute metric the service uses fewer, longer datapoints; keep the same wall-clock span.
  const minutes = queryPeriod(spec.query) / 60;
  const outN = Math.max(1, Math.round(TARGET_TRACKING_ALARMS.scaleOut.datapointsToAlarm / minutes));
  const inN = Math.max(1, Math.round(TARGET_TRACKING_ALARMS.scaleIn.datapointsToAlarm / minutes));
  return {
    high: { query: spec.query, comparison: 'GreaterThanThreshold', threshold: spec.targetValue, evaluationPeriods: outN, datapointsToAlarm: outN },
    low: {
      query: spec.query,
      comparison: 'LessThanThreshold',
      threshold: spec.targetValue * TARGET_TRACKING_ALARMS.scaleIn.thresholdRatio,
      evaluationPeriods: inN,
      datapointsToAlarm: inN,
    },
  };
}
