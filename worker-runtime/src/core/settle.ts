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
import type { VisibilityExtender } from './visibility-extender';
import { errorText, WorkerEmitter } from './worker-events';
import { sleep } from '../util/sleep';

/** Deletes tried after a DLQ copy was sent (1 s, then 2 s apart) before the message is left to come back. */
export const DEAD_LETTER_DELETE_ATTEMPTS = 3;

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
    if (job.released) return; // aborted by the drain, already given back
    if (outcome.action === 'dead-letter') {
      // No renewal after the move: the copy in the DLQ is the message from now on.
      await job.extender.stop();
      try {
        await this.queue.sendToDeadLetter(m, outcome.reason);
      } catch (err) {
        // Not moved, so not deleted: retry through visibility like any transient failure.
        this.events.emit('dead_letter_failed', { messageId: m.messageId, kind: outcome.reason.kind, error: errorText(err) });
        await this.retryLater(job, err);
        return;
      }
      this.events.emit('message_dead_lettered', { messageId: m.messageId, reason: outcome.reason });
      await this.deleteDeadLettered(m);
      return;
    }
    await this.retryLater(job, outcome.error);
  }

  /**
   * Gives a message back at once (visibility 0). A held delivery's release goes through its
   * extender, after any renewal in flight (which would otherwise hide it again).
   */
  async release(m: QueueMessage, extender?: VisibilityExtender): Promise<void> {
    try {
      if (extender) await extender.settle(0);
      else await this.queue.changeVisibility(m.receiptHandle, 0);
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

  /**
   * The delete after a DLQ copy was sent. If it fails the message comes back and its next receive
   * sends another copy, so a refused delete is tried again (a few times, a second apart) while
   * the receipt handle is still ours. The bound that remains (docs/runtime.md, "Error policy"): at
   * most one DLQ copy per receive, so at most the queue's maxReceiveCount copies, each carrying
   * `OriginalMessageId` for a consumer to deduplicate by.
   */
  private async deleteDeadLettered(m: QueueMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.deletes.delete(m.messageId, m.receiptHandle);
      if (res.ok) { this.events.emit('message_deleted', { messageId: m.messageId }); return; }
      // An invalid handle will not become valid: the message is someone else's now.
      if (attempt >= DEAD_LETTER_DELETE_ATTEMPTS || res.code === 'ReceiptHandleIsInvalid') {
        this.events.emit('delete_failed', { messageId: m.messageId, code: res.code, message: res.message });
        return;
      }
      await sleep(attempt * 1000);
    }
  }

  /** The retry delay, set through the extender: the last visibility call SQS sees for this delivery. */
  private async retryLater(job: HeldMessage, error: unknown): Promise<void> {
    const m = job.message;
    const delaySeconds = backoffSeconds(m.receiveCount, this.backoff);
    try {
      await job.extender.settle(delaySeconds);
      this.events.emit('message_retry', { messageId: m.messageId, delaySeconds, error: errorText(error) });
    } catch (err) {
      this.events.emit('retry_delay_failed', { messageId: m.messageId, delaySeconds, error: `${errorText(error)}; setting the delay: ${errorText(err)}` });
    }
  }
}
