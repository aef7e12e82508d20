/**
 * The messages a worker holds, from receipt until settled, and its job slots: which are
 * waiting for a slot (prefetched), which run their handler, which are being settled (outcome
 * known, slot already free). A job starts when a slot is free and, with adaptive concurrency,
 * when its declared input fits in the input-bytes budget beside the running jobs' (or nothing
 * runs). The receive loop asks it how many messages to receive; a drain waits until it is empty.
 */
import type { ConcurrencyLimit } from './adaptive-concurrency';
import type { QueueMessage } from './ports';
import type { VisibilityExtender } from './visibility-extender';

/** SQS's ReceiveMessage limit. */
export const MAX_RECEIVE = 10;

/** A message this worker holds, from receipt until it is settled (or released, or lost). */
export interface HeldMessage {
  readonly message: QueueMessage;
  readonly controller: AbortController;
  readonly extender: VisibilityExtender;
  /** Bytes its objects will take to download, per its event (core/s3-event.ts `declaredInputBytes`). */
  readonly inputBytes: number;
  /** Resolves once the message is settled; set when the job starts (a waiting message has none yet). */
  done: Promise<void>;
  /** 'waiting' for a slot, 'running' its handler, or 'settling' (outcome known, slot already free). */
  state: 'waiting' | 'running' | 'settling';
  released: boolean;
  lost: boolean;
}

export class InFlight {
  /**
   * Every delivery held, until settled, by receipt handle: SQS may deliver one message twice
   * (same MessageId) while the first copy is held, and each copy is counted, protected, waited
   * for by a drain and settled with its own handle. A drain waits for all of them.
   */
  private readonly held = new Map<string, HeldMessage>();
  /** Received, not started yet, oldest first. */
  private waitingLine: HeldMessage[] = [];
  private runningCount = 0;
  private runningBytes = 0;
  private slotWaiters: Array<() => void> = [];

  constructor(private readonly limit: ConcurrencyLimit, readonly prefetch: number) {}

  /** The job slots now (fixed, or revised by the adaptive limit). */
  get concurrency(): number { return this.limit.value; }

  /** Messages held: running, waiting for a slot, or being settled. */
  get size(): number { return this.held.size; }
  /** Handler calls in progress (slots in use). */
  get running(): number { return this.runningCount; }
  /** Declared input bytes of the running jobs. */
  get runningInputBytes(): number { return this.runningBytes; }
  /** Received but not started yet. */
  get waiting(): number { return this.waitingLine.length; }

  all(): HeldMessage[] { return [...this.held.values()]; }

  /** Takes a received message into the waiting line. */
  add(held: HeldMessage): void {
    this.held.set(held.message.receiptHandle, held);
    this.waitingLine.push(held);
  }

  /** The message is no longer held (settled, released or lost). */
  remove(held: HeldMessage): void {
    if (this.held.get(held.message.receiptHandle) === held) this.held.delete(held.message.receiptHandle);
    this.waitingLine = this.waitingLine.filter((w) => w !== held);
    this.wake();
  }

  /** The next waiting message (oldest first), moved into a slot, while a slot is free and its input fits. */
  nextToStart(): HeldMessage | undefined {
    if (this.waitingLine.length === 0) return undefined;
    if (this.runningCount >= this.concurrency) {
      // Work waits for a slot: more slots could help (the adaptive limit decides whether the process has room).
      this.limit.markSaturated();
      return undefined;
    }
    // Memory, not slots, is short here: the oldest waits (no overtaking, so a large input is not starved).
    if (this.oldestWaitsForMemory()) return undefined;
    const next = this.waitingLine.shift()!;
    next.state = 'running';
    this.runningCount += 1;
    this.runningBytes += next.inputBytes;
    return next;
  }

  /** The oldest waiting input does not fit in the input-bytes budget beside the running jobs' inputs. */
  private oldestWaitsForMemory(): boolean {
    const budget = this.limit.inputBytesBudget;
    return budget !== undefined && this.runningCount > 0 && this.waitingLine.length > 0
      && this.runningBytes + this.waitingLine[0].inputBytes > budget;
  }

  /** A running job's outcome is known: its slot is free. */
  freeSlot(held: HeldMessage): void {
    held.state = 'settling';
    this.runningCount -= 1;
    this.runningBytes -= held.inputBytes;
    this.wake();
  }

  /** Every waiting message, taken out of the worker's hands (a drain releases them). */
  takeWaiting(): HeldMessage[] {
    const waiting = this.waitingLine;
    this.waitingLine = [];
    for (const w of waiting) this.remove(w);
    return waiting;
  }

  /**
   * How many messages to receive now. Room is counted in running + waiting messages (settling
   * ones no longer hold a slot). With messages still waiting, only a full receive (room for 10)
   * is worth a request; after a short receive (the queue looked drained) the next poll waits
   * until a slot is idle, so a busy worker does not keep long-polling an empty queue. While the
   * oldest waiting input waits for memory, only the running jobs count as slots: the worker then
   * holds no more than `prefetch` messages it cannot start, and other instances can take the rest.
   */
  receiveSize(lastReceiveShort: boolean): number {
    const slots = this.oldestWaitsForMemory() ? this.runningCount : this.concurrency;
    const busy = this.runningCount + this.waitingLine.length;
    const room = slots + this.prefetch - busy;
    if (room <= 0) return 0;
    if (lastReceiveShort) return busy < slots ? Math.min(MAX_RECEIVE, room) : 0;
    if (this.waitingLine.length > 0 && room < MAX_RECEIVE) return 0;
    return Math.min(MAX_RECEIVE, room);
  }

  /** Resolves the next time a slot frees, a message leaves, or `wake()` is called. */
  changed(): Promise<void> {
    return new Promise<void>((r) => this.slotWaiters.push(r));
  }

  wake(): void {
    const w = this.slotWaiters;
    this.slotWaiters = [];
    w.forEach((r) => r());
  }
}
