/**
 * Owns one delivery's visibility while the worker holds it: every half visibility timeout the
 * timeout is renewed, never past SQS's 12-hour cap counted from receipt, and every visibility
 * call for the delivery goes through here, one at a time, so a renewal still in flight can never
 * land after (and undo) the release or the retry delay that settles the message.
 *
 * A renewal that fails is retried a few times while the current visibility still covers it
 * (throttling, a network blip, an SQS brownout); it gives up at once when the queue says the
 * handle is no longer valid. Giving up, or reaching the 12-hour cap, calls `onLost`: the caller
 * aborts the job, which no longer owns the message. At the cap the job is stopped halfway
 * through the last extension, so it ends before the message becomes visible to others.
 */
import { MAX_VISIBILITY_SECONDS } from './backoff';
import type { WorkQueue } from './ports';
import { sleep } from '../util/sleep';

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

/** Attempts of one renewal (the first and its retries). */
export const RENEWAL_ATTEMPTS = 4;
/** Delay before the first retry of a failed renewal; doubled for each further one. */
const RENEWAL_RETRY_MS = 250;
/** A retry must land at least this long before the current visibility lapses. */
const RENEWAL_SAFETY_MS = 1000;

/** True when the queue says this receipt handle can never be used again (retrying cannot help). */
export function isHandleGone(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  const name = String(e?.name ?? e?.code ?? '');
  if (name === 'ReceiptHandleIsInvalid' || name === 'MessageNotInflight') return true;
  return /InvalidParameterValue/.test(name) && /receipt ?handle/i.test(String(e?.message ?? ''));
}

export class VisibilityExtender {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Every visibility call of this delivery, in order: each starts after the previous one ended. */
  private calls: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private readonly intervalMs: number;
  private readonly now: () => number;
  /** When the visibility granted so far lapses (epoch ms). */
  private grantedUntil: number;

  constructor(private readonly options: VisibilityExtenderOptions) {
    this.now = options.now ?? Date.now;
    // Half the timeout leaves a whole half for a slow or retried renewal call.
    this.intervalMs = Math.max(1, Math.floor(options.timeoutSeconds / 2)) * 1000;
    this.grantedUntil = options.receivedAt + options.timeoutSeconds * 1000;
  }

  start(): void {
    this.schedule(this.intervalMs);
  }

  /** No more renewals; resolves once a renewal already sent has ended. */
  stop(): Promise<void> {
    this.halt();
    return this.calls.then(() => undefined, () => undefined);
  }

  /**
   * Stops renewals and sets the delivery's visibility one last time (0 releases it, a retry
   * delay hides it for that long), after any renewal in flight: the last call SQS sees is this one.
   */
  settle(timeoutSeconds: number): Promise<void> {
    this.halt();
    const call = this.calls.then(() => undefined, () => undefined)
      .then(() => this.options.queue.changeVisibility(this.options.receiptHandle, timeoutSeconds));
    this.calls = call.catch(() => undefined);
    return call;
  }

  private halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort();
  }

  private schedule(ms: number, what: () => void = () => { this.calls = this.calls.then(() => this.renew()); }): void {
    if (this.stopped) return;
    this.timer = setTimeout(what, Math.max(0, ms));
    this.timer.unref();
  }

  private lose(reason: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.options.onLost(reason);
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const elapsed = Math.floor((this.now() - this.options.receivedAt) / 1000);
    const remaining = MAX_VISIBILITY_SECONDS - elapsed - 1;
    if (remaining <= 0) {
      this.lose(new Error('the message reached SQS\'s 12-hour visibility limit'));
      return;
    }
    const seconds = Math.min(this.options.timeoutSeconds, remaining);
    for (let attempt = 1; ; attempt++) {
      const sentAt = this.now();
      try {
        await this.options.queue.changeVisibility(this.options.receiptHandle, seconds);
        this.grantedUntil = sentAt + seconds * 1000;
        break;
      } catch (err) {
        if (this.stopped) return;
        const retryIn = RENEWAL_RETRY_MS * 2 ** (attempt - 1);
        const fits = this.now() + retryIn < this.grantedUntil - RENEWAL_SAFETY_MS;
        if (isHandleGone(err) || attempt >= RENEWAL_ATTEMPTS || !fits) {
          this.lose(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        await sleep(retryIn, this.stopping.signal);
        if (this.stopped) return;
      }
    }
    if (seconds < this.options.timeoutSeconds) {
      // The last extension the cap allows: stop the job halfway through it, before the message
      // becomes visible to other consumers while this job still runs.
      this.schedule(seconds * 500, () => this.lose(new Error('the message reached SQS\'s 12-hour visibility limit')));
      return;
    }
    this.schedule(this.intervalMs);
  }
}
