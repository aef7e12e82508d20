/**
 * The messages exchanged between the local fleet (parent) and its worker processes over the
 * `child_process.fork` IPC channel. Typed here so both sides agree.
 */
import type { QueueAction } from './file-queue';
import type { InterruptionKind, MetricUnit } from '../../core/ports';

/** Parent → worker: an injected interruption (Spot notice, or the ASG terminating it on scale-in). */
export interface InterruptMessage {
  readonly type: 'interrupt';
  readonly kind: InterruptionKind;
  /** Epoch ms at which the instance would be gone. */
  readonly deadline?: number;
}

export interface MetricDatum {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnit;
  readonly dimensions?: Record<string, string>;
  readonly at: number;
}

/** Worker → parent. */
export type WorkerEvent =
  | { readonly type: 'metrics'; readonly data: MetricDatum[] }
  | { readonly type: 'requests'; readonly counts: Partial<Record<QueueAction, number>> }
  | { readonly type: 'protection'; readonly protect: boolean }
  | { readonly type: 'lifecycle-complete'; readonly result: 'CONTINUE' | 'ABANDON' }
  /** The worker marked its instance unhealthy (the fleet replaces it). */
  | { readonly type: 'unhealthy' }
  /** The worker leaves the fleet on its own; with a decrement the fleet does not replace it. */
  | { readonly type: 'leave'; readonly decrementDesiredCapacity: boolean }
  /** A draining worker handed an unfinished message back to the queue (visibility 0). */
  | { readonly type: 'released' }
  | { readonly type: 'started' }
  | { readonly type: 'drained' };

export function isInterruptMessage(m: unknown): m is InterruptMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'interrupt';
}

/** Sends to the parent when there is one; a worker run by hand simply has no parent. */
export function sendToParent(event: WorkerEvent): void {
  if (process.send && process.connected) {
    try {
      process.send(event);
    } catch {
      // The parent went away: nothing to report to.
    }
  }
}
