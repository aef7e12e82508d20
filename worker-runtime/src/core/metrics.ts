/**
 * The sinks that do not need AWS: a no-op sink, an in-memory one (local mode, tests) and one that
 * writes aggregated datapoints to the log. The CloudWatch sink lives in
 * adapters/aws/cloudwatch-metrics-sink.ts; the metric names are the contract's (contract/runtime-metrics.ts).
 */
import type { Logger } from './logger';
import type { MetricsSink, MetricUnit } from './ports';

export { Metrics } from '../contract/runtime-metrics';

export interface MetricDatum {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly dimensions: Record<string, string>;
  /** Aggregated over the batch (a CloudWatch StatisticSet). */
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** Aggregates datapoints by name, unit and dimensions until drained: one datum per series. */
export class MetricAggregator {
  private readonly series = new Map<string, MetricDatum>();
  constructor(private readonly defaultDimensions: Record<string, string> = {}) {}

  add(name: string, value: number, unit: MetricUnit, dimensions: Record<string, string> = {}): void {
    if (!Number.isFinite(value)) return;
    const dims = { ...this.defaultDimensions, ...dimensions };
    const id = JSON.stringify([name, unit, Object.entries(dims).sort()]);
    const d = this.series.get(id);
    this.series.set(id, d
      ? { ...d, sampleCount: d.sampleCount + 1, sum: d.sum + value, min: Math.min(d.min, value), max: Math.max(d.max, value) }
      : { name, unit, dimensions: dims, sampleCount: 1, sum: value, min: value, max: value });
  }

  get size(): number { return this.series.size; }

  drain(): MetricDatum[] {
    const out = [...this.series.values()];
    this.series.clear();
    return out;
  }
}

export class NoopMetricsSink implements MetricsSink {
  record(): void { /* metrics disabled */ }
  async flush(): Promise<void> { /* nothing buffered */ }
}

/** Keeps every flushed datum in memory; local mode reports from it, tests assert on it. */
export class MemoryMetricsSink implements MetricsSink {
  readonly flushed: MetricDatum[] = [];
  private readonly agg: MetricAggregator;
  constructor(defaultDimensions: Record<string, string> = {}) { this.agg = new MetricAggregator(defaultDimensions); }
  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void {
    this.agg.add(name, value, unit, dimensions);
  }
  async flush(): Promise<void> { this.flushed.push(...this.agg.drain()); }
  /** Sum of a metric over everything recorded so far (flushed or not), optionally filtered by dimensions. */
  total(name: string, dimensions: Record<string, string> = {}): number {
    const pending = [...this.flushed, ...this.agg.drain()];
    this.flushed.length = 0;
    this.flushed.push(...pending);
    return pending
      .filter((d) => d.name === name && Object.entries(dimensions).every(([k, v]) => d.dimensions[k] === v))
      .reduce((s, d) => s + d.sum, 0);
  }
}

/** Writes one aggregated log line per series on flush (no CloudWatch, e.g. on-premises). */
export class LogMetricsSink implements MetricsSink {
  private readonly agg: MetricAggregator;
  constructor(private readonly logger: Logger, defaultDimensions: Record<string, string> = {}) {
    this.agg = new MetricAggregator(defaultDimensions);
  }
  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void {
    this.agg.add(name, value, unit, dimensions);
  }
  async flush(): Promise<void> {
    for (const d of this.agg.drain()) this.logger.info('metric', { metric: d });
  }
}
