/**
 * The Worker's typed events (in the manner of bbc/sqs-consumer): everything observable about
 * the loop. The Worker's own logs (worker-log.ts), metrics (worker-metrics.ts) and stats are
 * derived from these events alone, as are local mode's report and the tests' assertions.
 * Payloads never carry receipt handles or message bodies.
 */
import { EventEmitter } from 'events';
import type { RecordResult } from './job';
import type { DeadLetterReason, InterruptionNotice } from './ports';

/** Which message an event is about. Two deliveries of one message share `messageId`. */
export type MessageRef = {
  readonly messageId: string;
};

/** A delivery: the message and its ApproximateReceiveCount (1 on first delivery). */
export type DeliveryRef = MessageRef & {
  readonly receiveCount: number;
};

export interface WorkerEvents {
  /** The loop is running (stale protection cleared, queue settings read). */
  started: [{ concurrency: number | 'auto'; prefetch: number; visibilityTimeout: number; handler: string }];
  /** The adaptive concurrency revised the number of job slots. */
  concurrency_changed: [{ limit: number; previous: number; running: number; waiting: number }];
  /** The queue's visibility timeout could not be read; the worker assumes `assumedSeconds`. */
  queue_settings_unknown: [{ error: string; assumedSeconds: number }];
  /** A message was received and is held (kept invisible) until settled; `inFlight` counts it. */
  message_held: [DeliveryRef & { inFlight: number; sentAt?: number }];
  /** A message's job started (a prefetched message may have waited for a slot since its receipt). */
  message_received: [DeliveryRef];
  /** One record of a message finished (written, ignored, or failed). */
  record_done: [RecordResult & DeliveryRef];
  /** A job ran past its timeout: aborted, its slot freed, the message retried or dead-lettered. */
  job_timed_out: [DeliveryRef & { seconds: number; action: 'retry' | 'dead-letter' }];
  /** A job's outcome is known and its slot is free; `running` counts the slots still in use. */
  job_finished: [MessageRef & { action: 'delete' | 'dead-letter' | 'retry' | 'failed'; running: number }];
  /** All records done and the message deleted. */
  message_deleted: [MessageRef];
  /** Permanent failure: sent to the DLQ with its reason, then deleted. */
  message_dead_lettered: [MessageRef & { reason: DeadLetterReason }];
  /** The DLQ send failed: the message is not deleted but retried like a transient failure. */
  dead_letter_failed: [MessageRef & { kind: string; error: string }];
  /** Transient failure: the message comes back after `delaySeconds`. */
  message_retry: [MessageRef & { delaySeconds: number; error: string }];
  /** The retry delay could not be set: the message comes back after its visibility timeout. */
  retry_delay_failed: [MessageRef & { delaySeconds: number; error: string }];
  /** Given back to the queue at once (visibility 0) by a drain. */
  message_released: [MessageRef];
  /** A release failed: the message comes back after its visibility timeout. */
  release_failed: [MessageRef & { error: string }];
  /** The queue refused a delete; the message will be redelivered. */
  delete_failed: [MessageRef & { code?: string; message?: string }];
  /** A visibility extension failed; the job was aborted and the message left to the queue. */
  visibility_lost: [MessageRef & { error: string }];
  /** A job finished after its message's visibility was lost: nothing is done with the message. */
  message_abandoned: [MessageRef & { action: string }];
  /** Settling a message failed unexpectedly (a bug or a port that threw): it returns after its visibility. */
  settle_failed: [MessageRef & { error: string }];
  protection_changed: [{ protected: boolean }];
  /** Receiving failed (network, throttling); the loop backs off. */
  receive_error: [{ error: string; retryInSeconds: number }];
  /** The receive loop itself failed (a bug); the worker drains. */
  loop_failed: [{ error: string }];
  /** The idle self-release ended this instance (left its group, desired capacity decremented). */
  left_group: [{ rule: 'idle-period' | 'sparse-arrivals'; idleSeconds: number }];
  /** A drain began (`first`), or a further notice arrived while draining (the deadline may move up). */
  draining: [InterruptionNotice & { first: boolean; deadline: Date; inFlight: number }];
  /** Prefetched messages given back at the start of a drain. */
  prefetch_released: [{ count: number }];
  /** Jobs still running at the drain deadline, aborted and released. */
  drain_deadline: [{ count: number }];
  /** The drain's own calls that had not answered when its cleanup budget ran out (left pending). */
  drain_cut_short: [{ steps: string[]; budgetSeconds: number }];
  /** A lifecycle heartbeat was recorded while draining (or the attempt failed: `ok` false). */
  lifecycle_heartbeat: [{ ok: boolean; inFlight: number; error?: string }];
  /** The lifecycle action was completed with CONTINUE (or the attempt failed: `ok` false). */
  lifecycle_completed: [{ ok: boolean; hookName: string; error?: string }];
  /** Buffered metrics could not be sent. */
  metrics_flush_failed: [{ error: string }];
  /** Drained; `stats` as at the end. */
  stopped: [{ stats: Readonly<Record<string, number>> }];
}

export type WorkerEventName = keyof WorkerEvents;

/** An EventEmitter whose `on`/`once`/`off`/`emit` know the Worker's events and their payloads. */
export class WorkerEmitter extends EventEmitter {
  override on<E extends WorkerEventName>(event: E, listener: (...args: WorkerEvents[E]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<E extends WorkerEventName>(event: E, listener: (...args: WorkerEvents[E]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<E extends WorkerEventName>(event: E, listener: (...args: WorkerEvents[E]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  override emit<E extends WorkerEventName>(event: E, ...args: WorkerEvents[E]): boolean {
    return super.emit(event, ...args);
  }
}

/** `Name: message` for an Error, else the value as text (events carry text, not Error objects). */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
