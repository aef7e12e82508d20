/**
 * Metrics to CloudWatch (MetricsSink port). Datapoints are aggregated per series into
 * statistic sets between flushes, so a busy worker sends a handful of datums a minute,
 * not one call per image.
 */
import { CloudWatchClient, MetricDatum as CwDatum, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { MetricAggregator } from '../../core/metrics';
import type { MetricsSink, MetricUnit } from '../../core/ports';

/** PutMetricData accepts up to 1000 datums per call; stay well below the 1 MB payload limit. */
const DATUMS_PER_CALL = 500;

export class CloudWatchMetricsSink implements MetricsSink {
  private readonly agg: MetricAggregator;

  constructor(private readonly client: CloudWatchClient, private readonly namespace: string, defaultDimensions: Record<string, string>) {
    this.agg = new MetricAggregator(defaultDimensions);
  }

  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void {
    this.agg.add(name, value, unit, dimensions);
  }

  async flush(): Promise<void> {
    const now = new Date();
    const datums: CwDatum[] = this.agg.drain().map((d) => ({
      MetricName: d.name,
      Unit: d.unit as StandardUnit,
      Timestamp: now,
      Dimensions: Object.entries(d.dimensions).map(([Name, Value]) => ({ Name, Value })),
      StatisticValues: { SampleCount: d.sampleCount, Sum: d.sum, Minimum: d.min, Maximum: d.max },
    }));
    for (let i = 0; i < datums.length; i += DATUMS_PER_CALL) {
      await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: datums.slice(i, i + DATUMS_PER_CALL) }));
    }
  }
}
