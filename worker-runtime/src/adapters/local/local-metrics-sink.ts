/**
 * Metrics in local mode: datapoints are batched like the CloudWatch sink's and sent to the fleet
 * process, which aggregates them into the report (throughput, busy time, failures by kind).
 */
import { MetricDatum, sendToParent } from './ipc-messages';
import type { MetricsSink, MetricUnit } from '../../core/ports';

export class LocalMetricsSink implements MetricsSink {
  private buffer: MetricDatum[] = [];

  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void {
    this.buffer.push({ name, value, unit, dimensions, at: Date.now() });
    if (this.buffer.length >= 100) void this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const data = this.buffer;
    this.buffer = [];
    sendToParent({ type: 'metrics', data });
  }
}
