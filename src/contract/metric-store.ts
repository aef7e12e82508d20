/**
 * CloudWatch as the policies see it: one sample per metric per minute, readable only after a
 * publishing delay, aggregated into periods on read. A period is returned only when every minute in
 * it has been published (CloudWatch alarms evaluate complete periods). Local mode's scaler keeps
 * one with no delay; the simulator one with CloudWatch's.
 */
import { MetricName, MetricStat, Statistic } from './scaling-plan';

export interface MetricDelays {
  /** Seconds after the end of a minute before its SQS datapoint can be read. */
  readonly sqsSeconds: number;
  /** Seconds after the end of a minute before its Auto Scaling group datapoint can be read. */
  readonly groupSeconds: number;
}

export class MetricStore {
  /** samples[name][minute] = value sampled at the end of that minute. */
  private readonly samples = new Map<MetricName, number[]>();
  /** When a sample becomes readable, where later than its metric's usual delay (an inactive queue waking up). */
  private readonly readableAt = new Map<MetricName, number[]>();

  constructor(private readonly delays: MetricDelays) {}

  /** Records the value of `name` for minute `minute` (the minute [60m, 60m+60)). */
  put(name: MetricName, minute: number, value: number, readableAt?: number): void {
    let arr = this.samples.get(name);
    if (!arr) {
      arr = [];
      this.samples.set(name, arr);
    }
    arr[minute] = value;
    if (readableAt !== undefined) {
      let r = this.readableAt.get(name);
      if (!r) {
        r = [];
        this.readableAt.set(name, r);
      }
      r[minute] = readableAt;
    }
  }

  delayOf(name: MetricName): number {
    return name.startsWith('Group') ? this.delays.groupSeconds : this.delays.sqsSeconds;
  }

  /**
   * The aggregated datapoint of the period that ends at `periodEnd` seconds (a multiple of the period),
   * or undefined when it is not readable at `now` (not yet published, or never recorded).
   */
  datapoint(stat: MetricStat, periodEnd: number, now: number): number | undefined {
    if (periodEnd + this.delayOf(stat.metric) > now) return undefined;
    const arr = this.samples.get(stat.metric) ?? [];
    const late = this.readableAt.get(stat.metric);
    const minutes = stat.periodSeconds / 60;
    const lastMinute = periodEnd / 60 - 1;
    const values: number[] = [];
    for (let m = lastMinute - minutes + 1; m <= lastMinute; m++) {
      const v = m >= 0 ? arr[m] : undefined;
      if (v === undefined) return undefined;
      if (late?.[m] !== undefined && late[m] > now) return undefined;
      values.push(v);
    }
    return aggregate(values, stat.statistic);
  }
}

export function aggregate(values: number[], statistic: Statistic): number {
  switch (statistic) {
    case 'Maximum': return Math.max(...values);
    case 'Minimum': return Math.min(...values);
    case 'Sum': return values.reduce((a, b) => a + b, 0);
    case 'SampleCount': return values.length;
    case 'Average': return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
