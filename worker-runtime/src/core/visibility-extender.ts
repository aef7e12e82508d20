/**
 * Keeps a message invisible while its job runs: every half visibility timeout the timeout is
 * renewed, never past SQS's 12-hour cap counted from receipt. If a renewal fails (the handle
 * expired, the queue refuses) the job can no longer be sure it owns the message, so `onLost`
 * is called and the caller aborts the job.
 */
import { MAX_VISIBILITY_SECONDS } from './backoff';
import type { WorkQueue } from './ports';

export interface VisibilityExtenderOptions {
  readonly queue: WorkQueue;
  readonly receiptHandle: string;
  /** The queue's visibility timeout, in seconds. */
  readonly timeoutSeconds: number;
  /** When the message was received (epoch ms); the 12 h cap counts from here. */
  readonly receivedAt: number;
  readonly onLost: (reason: Error) => void;
  /** For tests. @default Date.now */
  readonly now?: () => number;
}

export class VisibilityExtender {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: VisibilityExtenderOptions) {
    this.now = options.now ?? Date.now;
    // Half the timeout leaves a whole half for a slow or retried renewal call.
    this.intervalMs = Math.max(1, Math.floor(options.timeoutSeconds / 2)) * 1000;
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.extend(); }, this.intervalMs);
    this.timer.unref();
  }

  private async extend(): Promise<void> {
    if (this.stopped) return;
    const elapsed = Math.floor((this.now() - this.options.receivedAt) / 1000);
    const remaining = MAX_VISIBILITY_SECONDS - elapsed - 1;
    if (remaining <= 0) {
      this.stopped = true;
      this.options.onLost(new Error('the message reached SQS\'s 12-hour visibility limit'));
      return;
    }
    try {
      await this.options.queue.changeVisibility(this.options.receiptHandle, Math.min(this.options.timeoutSeconds, remaining));
      this.schedule();
    } catch (err) {
      if (this.stopped) return;
      this.stopped = true;
      this.options.onLost(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
