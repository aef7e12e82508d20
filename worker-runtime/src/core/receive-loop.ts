/**
 * The receive loop: long-polls the work queue for as many messages as there is room for
 * (running + prefetched), backs off on receive errors, and hands what it receives to the
 * Worker. A drain stops it; a long poll in flight is left to finish when that fits before the
 * drain deadline (see `stopInTime`).
 */
import { backoffSeconds } from './backoff';
import type { InFlight } from './in-flight';
import type { QueueMessage, WorkQueue } from './ports';
import { errorText, WorkerEmitter } from './worker-events';
import { sleep } from '../util/sleep';

export interface ReceiveLoopHooks {
  readonly isDraining: () => boolean;
  /** Takes received messages into the worker's hands and starts what fits. */
  readonly accept: (messages: QueueMessage[]) => Promise<void>;
  /** Gives back a message received after the drain began. */
  readonly release: (message: QueueMessage) => Promise<void>;
}

export class ReceiveLoop {
  private readonly abort = new AbortController();
  /** When the current long poll was sent; undefined between polls. */
  private pollStartedAt?: number;
  /** The last receive returned fewer messages than asked: the queue looked drained. */
  private lastReceiveShort = false;

  constructor(
    private readonly queue: WorkQueue,
    private readonly inFlight: InFlight,
    private readonly waitTimeSeconds: number,
    private readonly events: WorkerEmitter,
  ) {}

  async run(hooks: ReceiveLoopHooks): Promise<void> {
    let failures = 0;
    while (!hooks.isDraining()) {
      const maxMessages = this.inFlight.receiveSize(this.lastReceiveShort);
      if (maxMessages === 0) { await this.inFlight.changed(); continue; }
      let messages: QueueMessage[];
      try {
        this.pollStartedAt = Date.now();
        messages = await this.queue.receive({ maxMessages, waitTimeSeconds: this.waitTimeSeconds, signal: this.abort.signal });
        failures = 0;
      } catch (err) {
        this.pollStartedAt = undefined;
        if (hooks.isDraining()) break;
        failures += 1;
        const retryIn = backoffSeconds(failures, { baseSeconds: 1, maxSeconds: 60 });
        this.events.emit('receive_error', { error: errorText(err), retryInSeconds: retryIn });
        await sleep(retryIn * 1000, this.abort.signal);
        continue;
      }
      this.pollStartedAt = undefined;
      this.lastReceiveShort = messages.length < maxMessages;
      if (messages.length === 0) continue;
      if (hooks.isDraining()) {
        // Received by the poll that was left to finish (see stopInTime): never started, given back at once.
        await Promise.all(messages.map((m) => hooks.release(m)));
        break;
      }
      await hooks.accept(messages);
    }
  }

  /**
   * Aborting a long poll only closes our end: the queue may still hand the poll's messages to
   * the dead connection, leaving them invisible for a whole visibility timeout. So a poll in
   * flight is left to finish (≤ 20 s; whatever it returns is released at once) when that fits
   * before `latestEnd`, and aborted only when it does not.
   */
  stopInTime(latestEnd: number): void {
    if (this.abort.signal.aborted) return;
    // No poll in flight: aborting is safe and only cuts a receive-error backoff short.
    if (this.pollStartedAt === undefined) { this.abort.abort(); return; }
    const pollEndsAt = this.pollStartedAt + (this.waitTimeSeconds + 2) * 1000;
    if (pollEndsAt > latestEnd) this.abort.abort();
  }

  /** Ends a poll in flight now. */
  stop(): void {
    this.abort.abort();
  }
}
