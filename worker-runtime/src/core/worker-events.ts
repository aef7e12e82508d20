/**
 * The Worker's typed events (in the manner of bbc/sqs-consumer): everything observable about
 * the loop, for logs, metrics, local mode's report and tests. Payloads never carry receipt
 * handles or message bodies.
 */
import type { RecordResult } from './job';
import type { DeadLetterReason, InterruptionNotice } from './ports';

export interface WorkerEvents {
  /** The loop is running (stale protection cleared, queue settings read). */
  started: [];
  /** A message's job started (a prefetched message may have waited for a slot since its receipt). */
  message_received: [{ messageId: string; receiveCount: number }];
  /** One record of a message finished (written, ignored, or failed). */
  record_done: [RecordResult & { messageId: string }];
  /** All records done and the message deleted. */
  message_deleted: [{ messageId: string }];
  /** Permanent failure: sent to the DLQ with its reason, then deleted. */
  message_dead_lettered: [{ messageId: string; reason: DeadLetterReason }];
  /** Transient failure: the message comes back after `delaySeconds`. */
  message_retry: [{ messageId: string; delaySeconds: number; error: string }];
  /** Given back to the queue at once (visibility 0) by a drain. */
  message_released: [{ messageId: string }];
  /** The queue refused a delete; the message will be redelivered. */
  delete_failed: [{ messageId: string; code?: string; message?: string }];
  /** A visibility extension failed; the job was aborted and the message left to the queue. */
  visibility_lost: [{ messageId: string; error: string }];
  protection_changed: [{ protected: boolean }];
  /** Receiving failed (network, throttling); the loop backs off. */
  receive_error: [{ error: string; retryInSeconds: number }];
  draining: [InterruptionNotice];
  /** The lifecycle action was completed with CONTINUE (or the attempt failed: `ok` false). */
  lifecycle_completed: [{ ok: boolean; error?: string }];
  stopped: [];
}

export type WorkerEventName = keyof WorkerEvents;
