/**
 * The Worker's metrics, derived from its events alone: images processed and their processing
 * time, failures by kind, and busy time (seconds with at least one handler call running, the
 * utilisation numerator). Buffered in the sink and flushed periodically and at the end.
 */
import { Metrics } from './metrics';
import type { MetricsSink } from './ports';
import { errorText, WorkerEmitter } from './worker-events';
import { FailureKind } from '../contract/failure-kinds';
import { KIND_DIMENSION } from '../contract/runtime-metrics';

export class WorkerMetrics {
  private running = 0;
  private busySince?: number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly sink: MetricsSink, private readonly events: WorkerEmitter, private readonly flushEveryMs: number) {
    events.on('started', () => {
      this.timer = setInterval(() => { this.recordBusyTime(); void this.flush(); }, this.flushEveryMs);
      this.timer.unref();
    });
    events.on('message_received', () => {
      if (this.running === 0 && this.busySince === undefined) this.busySince = Date.now();
      this.running += 1;
    });
    events.on('job_finished', () => {
      this.running -= 1;
      if (this.running === 0) {
        this.recordBusyTime();
        this.busySince = undefined;
      }
    });
    events.on('record_done', (r) => {
      if (r.status === 'written') {
        sink.record(Metrics.IMAGES_PROCESSED, 1, 'Count');
        sink.record(Metrics.PROCESSING_TIME, r.durationMs ?? 0, 'Milliseconds');
      } else if (r.status !== 'ignored') {
        sink.record(Metrics.JOB_FAILURES, 1, 'Count', { [KIND_DIMENSION]: r.status === 'transient-failure' ? FailureKind.TRANSIENT : r.kind ?? FailureKind.PERMANENT });
      }
    });
    // A malformed event has no record, so no record_done: count it when it is dead-lettered.
    events.on('message_dead_lettered', (e) => {
      if (e.reason.kind === FailureKind.MALFORMED_EVENT) sink.record(Metrics.JOB_FAILURES, 1, 'Count', { [KIND_DIMENSION]: FailureKind.MALFORMED_EVENT });
    });
  }

  /** Records the busy time so far, stops the periodic flush and flushes a last time. */
  async close(): Promise<void> {
    this.recordBusyTime();
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private recordBusyTime(): void {
    if (this.busySince === undefined) return;
    const now = Date.now();
    this.sink.record(Metrics.BUSY_TIME, (now - this.busySince) / 1000, 'Seconds');
    this.busySince = this.running > 0 ? now : undefined;
  }

  private async flush(): Promise<void> {
    try {
      await this.sink.flush();
    } catch (err) {
      this.events.emit('metrics_flush_failed', { error: errorText(err) });
    }
  }
}
