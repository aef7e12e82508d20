/**
 * Settles a held message exactly one way once its job's outcome is known: deleted (batched),
 * moved to the DLQ with its reason and then deleted, retried later through its visibility
 * (backoff), or released at once (drain). Every step is reported as a Worker event.
 */
import { BackoffOptions, backoffSeconds } from './backoff';
import type { DeleteBatcher } from './delete-batcher';
import type { HeldMessage } from './in-flight';
import type { JobOutcome } from './job';
import type { QueueMessage, WorkQueue } from './ports';
import { errorText, WorkerEmitter } from './worker-events';

export class Settler {
  constructor(
    private readonly queue: WorkQueue,
    private readonly deletes: DeleteBatcher,
    private readonly events: WorkerEmitter,
    private readonly backoff?: BackoffOptions,
  ) {}

  async settle(job: HeldMessage, outcome: JobOutcome): Promise<void> {
    const m = job.message;
    if (job.lost) {
      // Another consumer may hold the message now; touching it could delete work in progress.
      this.events.emit('message_abandoned', { messageId: m.messageId, action: outcome.action });
      return;
    }
    if (outcome.action === 'delete') {
      // Visibility keeps being extended until the (batched) delete is done.
      await this.delete(m);
      return;
    }
    // Stopped first: a renewal racing the retry delay or the DLQ move could undo it.
    job.extender.stop();
    if (job.released) return; // aborted by the drain, already given back
    if (outcome.action === 'dead-letter') {
      try {
        await this.queue.sendToDeadLetter(m, outcome.reason);
      } catch (err) {
        // Not moved, so not deleted: retry through visibility like any transient failure.
        this.events.emit('dead_letter_failed', { messageId: m.messageId, kind: outcome.reason.kind, error: errorText(err) });
        await this.retryLater(m, err);
        return;
      }
      this.events.emit('message_dead_lettered', { messageId: m.messageId, reason: outcome.reason });
      await this.delete(m);
      return;
    }
    await this.retryLater(m, outcome.error);
  }

  /** Gives a message back at once (visibility 0). */
  async release(m: QueueMessage): Promise<void> {
    try {
      await this.queue.changeVisibility(m.receiptHandle, 0);
      this.events.emit('message_released', { messageId: m.messageId });
    } catch (err) {
      this.events.emit('release_failed', { messageId: m.messageId, error: errorText(err) });
    }
  }

  private async delete(m: QueueMessage): Promise<void> {
    const res = await this.deletes.delete(m.messageId, m.receiptHandle);
    if (res.ok) this.events.emit('message_deleted', { messageId: m.messageId });
    else this.events.emit('delete_failed', { messageId: m.messageId, code: res.code, message: res.message });
  }

  private async retryLater(m: QueueMessage, error: unknown): Promise<void> {
    const delaySeconds = backoffSeconds(m.receiveCount, this.backoff);
    try {
      await this.queue.changeVisibility(m.receiptHandle, delaySeconds);
      this.events.emit('message_retry', { messageId: m.messageId, delaySeconds, error: errorText(error) });
    } catch (err) {
      this.events.emit('retry_delay_failed', { messageId: m.messageId, delaySeconds, error: `${errorText(error)}; setting the delay: ${errorText(err)}` });
    }
  }
}
