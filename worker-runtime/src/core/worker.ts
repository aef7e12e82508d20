/**
 * The run loop: receive S3 events from the work queue, run the handler with bounded
 * concurrency, write outputs, and settle every message exactly one way (deleted, moved to the
 * DLQ with a reason, retried later through its visibility, or released on drain). It sees only
 * the ports, so `spot-worker run` (AWS adapters) and local mode (file adapters) share it.
 */
import { EventEmitter } from 'events';
import * as os from 'os';
import { BackoffOptions, backoffSeconds } from './backoff';
import { DeleteBatcher } from './delete-batcher';
import { JobOutcome, runJob } from './job';
import { KeyMapper } from './key-mapping';
import { Logger, silentLogger } from './logger';
import { Metrics, NoopMetricsSink } from './metrics';
import type {
  InstanceControl, InterruptionNotice, InterruptionSource, LifecycleAction, MetricsSink, ObjectStore, QueueMessage, WorkQueue,
} from './ports';
import { ScaleInProtection } from './scale-in-protection';
import { VisibilityExtender } from './visibility-extender';
import type { WorkerEventName, WorkerEvents } from './worker-events';
import type { Handler } from '../handlers/handler';

export interface WorkerOptions {
  readonly queue: WorkQueue;
  readonly store: ObjectStore;
  readonly handler: Handler;
  /** @default 'uploads/' */
  readonly inputPrefix?: string;
  /** @default 'processed/' */
  readonly outputPrefix?: string;
  /** Bucket outputs are written to. @default the source object's bucket */
  readonly outputBucket?: string;
  /** Jobs running at once (handler calls). @default os.cpus().length */
  readonly concurrency?: number;
  /**
   * Messages received ahead of a free job slot, held invisible (their visibility extended like a
   * running job's) and started as slots free up; on a drain they are released at once. With room
   * for 10, every receive asks for 10, so a busy worker makes about one receive per 10 messages.
   * 0 receives only for free slots. @default 10
   */
  readonly prefetch?: number;
  /** Long-poll wait. @default 20 */
  readonly waitTimeSeconds?: number;
  /** Scale-in protection is cleared after this long without work. @default 60 */
  readonly idleGraceSeconds?: number;
  /** This instance's Auto Scaling controls. @default none: no protection, no lifecycle actions */
  readonly instance?: InstanceControl;
  /** Used for a `lifecycle-terminating` notice that carries no action of its own. */
  readonly lifecycleAction?: LifecycleAction;
  /** Heartbeat interval while a lifecycle drain runs. @default 30 */
  readonly lifecycleHeartbeatSeconds?: number;
  /** Started with the loop; each notice drains the worker. */
  readonly interruptions?: InterruptionSource;
  /** @default no metrics */
  readonly metrics?: MetricsSink;
  /** How often buffered metrics are flushed. @default 60 */
  readonly metricsFlushSeconds?: number;
  /** @default silent */
  readonly logger?: Logger;
  /** Retry delays of transient failures (applied through visibility). */
  readonly backoff?: BackoffOptions;
  /** Drain deadline when the notice has none (SIGTERM, rebalance, lifecycle). @default 90 */
  readonly drainTimeoutSeconds?: number;
  /** Jobs still running this long before the deadline are aborted and released. @default 5 */
  readonly drainMarginSeconds?: number;
  /** Larger inputs fail permanently (`too-large`) before download when the event says the size. @default no limit */
  readonly maxInputBytes?: number;
  /**
   * How long a finished message's delete waits for companions before a `DeleteMessageBatch` goes
   * out (it goes at once with 10 entries, and on drain). The wait costs nothing but the request:
   * the message stays invisible (still extended) and its slot is already free. @default 1000
   */
  readonly deleteLingerMs?: number;
}

/** Messages held beyond the running ones, by default: one full receive. */
export const DEFAULT_PREFETCH = 10;
/** Deletes wait this long for companions (a full batch goes at once). */
export const DEFAULT_DELETE_LINGER_MS = 1000;
/** SQS's ReceiveMessage limit. */
const MAX_RECEIVE = 10;

/** What the Worker did so far (local mode's report, tests). */
export interface WorkerStats {
  received: number;
  deleted: number;
  deadLettered: number;
  retried: number;
  released: number;
  deleteFailures: number;
  /** Messages held: running, waiting for a slot, or being settled. */
  inFlight: number;
  /** Of those, handler calls in progress (slots in use). */
  running: number;
  /** Of those, received but not started yet (prefetched). */
  waiting: number;
}

/** A message this worker holds, from receipt until it is settled (or released, or lost). */
interface HeldMessage {
  readonly message: QueueMessage;
  readonly controller: AbortController;
  readonly extender: VisibilityExtender;
  readonly log: Logger;
  /** Resolves once the message is settled; set when the job starts (a waiting message has none yet). */
  done: Promise<void>;
  /** 'waiting' for a slot, 'running' its handler, or 'settling' (outcome known, slot already free). */
  state: 'waiting' | 'running' | 'settling';
  released: boolean;
  lost: boolean;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `p` at most `ms`; the timer is cleared either way, so it never holds the process open. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, ms)); })]);
  clearTimeout(timer);
}

export class Worker extends EventEmitter {
  /** Resolves when the worker has drained and stopped. */
  public readonly stopped: Promise<void>;

  private readonly queue: WorkQueue;
  private readonly keys: KeyMapper;
  private readonly concurrency: number;
  private readonly waitTimeSeconds: number;
  private readonly metrics: MetricsSink;
  private readonly logger: Logger;
  private readonly protection: ScaleInProtection;
  private readonly deletes: DeleteBatcher;
  private readonly prefetch: number;
  /** Every message held, until settled: drain waits for all of them. */
  private readonly jobs = new Map<string, HeldMessage>();
  /** Received, not started yet, oldest first. */
  private waiting: HeldMessage[] = [];
  /** Messages whose handler is running (the slots in use). */
  private running = 0;
  /** The last receive returned fewer messages than asked: the queue looked drained. */
  private lastReceiveShort = false;
  private readonly pollAbort = new AbortController();
  private readonly statsValue: WorkerStats = {
    received: 0, deleted: 0, deadLettered: 0, retried: 0, released: 0, deleteFailures: 0, inFlight: 0, running: 0, waiting: 0,
  };
  private visibilityTimeout = 30;
  private started = false;
  private draining = false;
  private notice?: InterruptionNotice;
  private deadline = Infinity;
  /** When the current long poll was sent; undefined between polls. */
  private pollStartedAt?: number;
  private loopDone: Promise<void> = Promise.resolve();
  private releasingWaiting: Promise<void> = Promise.resolve();
  private slotWaiters: Array<() => void> = [];
  private busySince?: number;
  private flushTimer?: NodeJS.Timeout;
  private resolveStopped!: () => void;

  constructor(private readonly options: WorkerOptions) {
    super();
    this.queue = options.queue;
    this.keys = new KeyMapper({ inputPrefix: options.inputPrefix ?? 'uploads/', outputPrefix: options.outputPrefix ?? 'processed/' });
    this.concurrency = options.concurrency ?? Math.max(1, os.cpus().length);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`concurrency must be a whole number ≥ 1, got ${options.concurrency}`);
    this.prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 0) throw new Error(`prefetch must be a whole number ≥ 0, got ${options.prefetch}`);
    this.waitTimeSeconds = Math.min(20, Math.max(0, options.waitTimeSeconds ?? 20));
    this.metrics = options.metrics ?? new NoopMetricsSink();
    this.logger = options.logger ?? silentLogger;
    this.protection = new ScaleInProtection(options.instance, (options.idleGraceSeconds ?? 60) * 1000, this.logger,
      (p) => this.emit('protection_changed', { protected: p }));
    this.deletes = new DeleteBatcher(this.queue, options.deleteLingerMs ?? DEFAULT_DELETE_LINGER_MS);
    this.stopped = new Promise((r) => { this.resolveStopped = r; });
  }

  get stats(): Readonly<WorkerStats> { return { ...this.statsValue, inFlight: this.jobs.size, running: this.running, waiting: this.waiting.length }; }
  get isDraining(): boolean { return this.draining; }

  /** Clears stale protection, reads the queue's visibility timeout, starts the interruption source and the loop. */
  async start(): Promise<void> {
    if (this.started) throw new Error('Worker.start() called twice');
    this.started = true;
    await this.protection.clearStale();
    try {
      this.visibilityTimeout = await this.queue.visibilityTimeoutSeconds();
    } catch (err) {
      this.logger.warn('could not read the queue visibility timeout; assuming 30 s', { error: err as Error });
    }
    if (this.draining) return; // drained (SIGTERM) while starting: nothing to run
    this.options.interruptions?.start((notice) => { void this.drain(notice); });
    const flushEvery = (this.options.metricsFlushSeconds ?? 60) * 1000;
    this.flushTimer = setInterval(() => { this.recordBusyTime(); void this.flushMetrics(); }, flushEvery);
    this.flushTimer.unref();
    this.logger.info('worker started', { concurrency: this.concurrency, visibilityTimeout: this.visibilityTimeout, handler: this.options.handler.name });
    this.emit('started');
    this.loopDone = this.loop().catch((err) => { this.logger.error('receive loop failed', { error: err as Error }); void this.drain({ kind: 'sigterm' }); });
  }

  /**
   * Stops receiving and drains: jobs that finish before the deadline (the notice's, or
   * `drainTimeoutSeconds` from now) are settled normally, the rest are aborted and released
   * (visibility 0); protection is cleared; a lifecycle action is completed with CONTINUE.
   * Safe to call repeatedly: a later notice can only bring the deadline forward or add a
   * lifecycle action. Resolves when stopped.
   */
  drain(notice: InterruptionNotice = { kind: 'sigterm' }): Promise<void> {
    const deadline = notice.deadline?.getTime() ?? Date.now() + (this.options.drainTimeoutSeconds ?? 90) * 1000;
    this.deadline = Math.min(this.deadline, deadline);
    this.stopPollingInTime();
    if (this.draining) {
      if (notice.kind === 'lifecycle-terminating' && this.notice?.kind !== 'lifecycle-terminating') this.notice = notice;
      this.logger.info('further interruption notice while draining', { kind: notice.kind, deadline: new Date(this.deadline).toISOString() });
      return this.stopped;
    }
    this.draining = true;
    this.notice = notice;
    this.logger.info('draining', { kind: notice.kind, deadline: new Date(this.deadline).toISOString(), inFlight: this.jobs.size });
    this.emit('draining', notice);
    this.wakeSlotWaiters();
    // Prefetched messages were never started: give them back before anything else.
    this.releasingWaiting = this.releaseWaiting();
    // Finished messages' deletes no longer wait for companions: the drain waits for them.
    this.deletes.hurry();
    void this.finishDrain().catch((err) => this.logger.error('drain failed', { error: err as Error }));
    return this.stopped;
  }

  // --- typed EventEmitter surface ---
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

  /**
   * Whether to receive now. Room is counted in running + waiting messages (settling ones no longer
   * hold a slot). With messages still waiting, only a full receive (room for 10) is worth a
   * request; after a short receive (the queue looked drained) the next poll waits until a slot is
   * idle, so a busy worker does not keep long-polling an empty queue.
   */
  private receiveSize(): number {
    const room = this.concurrency + this.prefetch - this.running - this.waiting.length;
    if (room <= 0) return 0;
    if (this.lastReceiveShort) return this.running + this.waiting.length < this.concurrency ? Math.min(MAX_RECEIVE, room) : 0;
    if (this.waiting.length > 0 && room < MAX_RECEIVE) return 0;
    return Math.min(MAX_RECEIVE, room);
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.draining) {
      const maxMessages = this.receiveSize();
      if (maxMessages === 0) { await new Promise<void>((r) => this.slotWaiters.push(r)); continue; }
      let messages: QueueMessage[];
      try {
        this.pollStartedAt = Date.now();
        messages = await this.queue.receive({
          maxMessages, waitTimeSeconds: this.waitTimeSeconds, signal: this.pollAbort.signal,
        });
        failures = 0;
      } catch (err) {
        this.pollStartedAt = undefined;
        if (this.draining) break;
        failures += 1;
        const retryIn = backoffSeconds(failures, { baseSeconds: 1, maxSeconds: 60 });
        this.logger.warn('receive failed; backing off', { error: err as Error, retryInSeconds: retryIn });
        this.emit('receive_error', { error: errorText(err), retryInSeconds: retryIn });
        await sleep(retryIn * 1000, this.pollAbort.signal);
        continue;
      }
      this.pollStartedAt = undefined;
      this.lastReceiveShort = messages.length < maxMessages;
      if (messages.length === 0) continue;
      if (this.draining) {
        // Received by the poll that was left to finish (see drain): never started, given back at once.
        await Promise.all(messages.map((m) => this.release(m)));
        break;
      }
      // Held (and kept invisible) from receipt; a drain from here on releases them with the rest.
      for (const m of messages) this.hold(m);
      // Protection goes on before any of this work starts (idle → busy only; no-op when already set).
      await this.protection.busy();
      this.startWaiting();
    }
  }

  /** Takes a received message into the waiting line; its visibility is extended from now on. */
  private hold(message: QueueMessage): void {
    this.statsValue.received += 1;
    const controller = new AbortController();
    const log = this.logger.child({ messageId: message.messageId, receiveCount: message.receiveCount });
    const held: HeldMessage = {
      message,
      controller,
      log,
      state: 'waiting',
      released: false,
      lost: false,
      done: Promise.resolve(),
      extender: new VisibilityExtender({
        queue: this.queue,
        receiptHandle: message.receiptHandle,
        timeoutSeconds: this.visibilityTimeout,
        receivedAt: Date.now(),
        onLost: (err) => this.visibilityLost(held, err),
      }),
    };
    log.info('message received', { inFlight: this.jobs.size + 1 });
    this.jobs.set(message.messageId, held);
    this.waiting.push(held);
    held.extender.start();
  }

  private visibilityLost(held: HeldMessage, err: Error): void {
    // After the outcome is known the delete (or DLQ / retry call) decides; a failed renewal racing it means nothing.
    if (held.state === 'settling' || held.released) return;
    held.lost = true;
    held.log.warn('visibility extension failed; aborting the job', { error: err });
    this.emit('visibility_lost', { messageId: held.message.messageId, error: errorText(err) });
    if (held.state === 'waiting') {
      // Never started: just let go of it (another consumer may hold it now).
      this.waiting = this.waiting.filter((w) => w !== held);
      this.jobs.delete(held.message.messageId);
      if (this.jobs.size === 0 && !this.draining) this.protection.idle();
      this.wakeSlotWaiters();
      return;
    }
    held.controller.abort(err);
  }

  /** Starts waiting messages while slots are free (never during a drain). */
  private startWaiting(): void {
    while (!this.draining && this.running < this.concurrency && this.waiting.length > 0) {
      this.startJob(this.waiting.shift()!);
    }
  }

  private startJob(job: HeldMessage): void {
    const { message, controller, extender, log } = job;
    if (this.running === 0 && this.busySince === undefined) this.busySince = Date.now();
    this.running += 1;
    job.state = 'running';
    this.emit('message_received', { messageId: message.messageId, receiveCount: message.receiveCount });
    const deps = {
      store: this.options.store,
      handler: this.options.handler,
      keys: this.keys,
      outputBucket: this.options.outputBucket,
      maxInputBytes: this.options.maxInputBytes,
      onRecord: (r: Parameters<NonNullable<Parameters<typeof runJob>[1]['onRecord']>>[0]) => {
        this.emit('record_done', { ...r, messageId: message.messageId });
        if (r.status === 'written') {
          this.metrics.record(Metrics.IMAGES_PROCESSED, 1, 'Count');
          this.metrics.record(Metrics.PROCESSING_TIME, r.durationMs ?? 0, 'Milliseconds');
          log.info('object processed', { key: r.key, outputKey: r.outputKey, durationMs: r.durationMs });
        } else if (r.status === 'ignored') {
          log.info('record ignored', { key: r.key, why: r.reason });
        } else {
          this.metrics.record(Metrics.JOB_FAILURES, 1, 'Count', { Kind: r.status === 'transient-failure' ? 'transient' : r.kind ?? 'permanent' });
          log.warn('record failed', { key: r.key, status: r.status, kind: r.kind, reason: r.reason });
        }
      },
    };
    const done = runJob(message, deps, controller.signal)
      .then((outcome) => {
        // The outcome is known: the slot is free now, while the message is settled (a delete may
        // wait for companions). The message stays in `jobs`, so a drain still waits for it.
        job.state = 'settling';
        this.freeSlot();
        return this.settle(job, outcome, log);
      }, (err) => {
        job.state = 'settling';
        this.freeSlot();
        throw err;
      })
      .catch((err) => log.error('settling a message failed', { error: err as Error }))
      .finally(() => {
        extender.stop();
        this.jobs.delete(message.messageId);
        if (this.jobs.size === 0 && !this.draining) this.protection.idle();
        this.wakeSlotWaiters();
      });
    job.done = done;
  }

  private freeSlot(): void {
    this.running -= 1;
    if (this.running === 0) {
      this.recordBusyTime();
      this.busySince = undefined;
    }
    this.startWaiting();
    this.wakeSlotWaiters();
  }

  private async settle(job: HeldMessage, outcome: JobOutcome, log: Logger): Promise<void> {
    const m = job.message;
    if (job.lost) {
      // Another consumer may hold the message now; touching it could delete work in progress.
      log.warn('message left to the queue after losing visibility', { action: outcome.action });
      return;
    }
    if (outcome.action === 'delete') {
      // Visibility keeps being extended until the (batched) delete is done.
      await this.deleteMessage(m, log);
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
        log.error('could not send to the dead-letter queue; will retry', { error: err as Error, kind: outcome.reason.kind });
        await this.retryLater(m, err, log);
        return;
      }
      this.statsValue.deadLettered += 1;
      if (outcome.reason.kind === 'malformed-event') {
        this.metrics.record(Metrics.JOB_FAILURES, 1, 'Count', { Kind: 'malformed-event' });
      }
      log.warn('moved to the dead-letter queue', { kind: outcome.reason.kind, reason: outcome.reason.message, key: outcome.reason.key });
      this.emit('message_dead_lettered', { messageId: m.messageId, reason: outcome.reason });
      await this.deleteMessage(m, log);
      return;
    }
    await this.retryLater(m, outcome.error, log);
  }

  private async deleteMessage(m: QueueMessage, log: Logger): Promise<void> {
    const res = await this.deletes.delete(m.messageId, m.receiptHandle);
    if (res.ok) {
      this.statsValue.deleted += 1;
      this.emit('message_deleted', { messageId: m.messageId });
    } else {
      this.statsValue.deleteFailures += 1;
      log.warn('delete refused; the message will be redelivered', { code: res.code, error: res.message });
      this.emit('delete_failed', { messageId: m.messageId, code: res.code, message: res.message });
    }
  }

  private async retryLater(m: QueueMessage, error: unknown, log: Logger): Promise<void> {
    const delaySeconds = backoffSeconds(m.receiveCount, this.options.backoff);
    this.statsValue.retried += 1;
    this.emit('message_retry', { messageId: m.messageId, delaySeconds, error: errorText(error) });
    try {
      await this.queue.changeVisibility(m.receiptHandle, delaySeconds);
      log.info('will retry', { delaySeconds, error: errorText(error) });
    } catch (err) {
      log.warn('could not set the retry delay; the message returns after its visibility timeout', { error: err as Error });
    }
  }

  /** Releases every waiting (never started) message at once; they leave `jobs` right away. */
  private async releaseWaiting(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      w.released = true;
      w.extender.stop();
      this.jobs.delete(w.message.messageId);
    }
    if (waiting.length > 0) this.logger.info('releasing prefetched messages', { count: waiting.length });
    await Promise.all(waiting.map((w) => this.release(w.message)));
  }

  private async release(m: QueueMessage): Promise<void> {
    try {
      await this.queue.changeVisibility(m.receiptHandle, 0);
      this.statsValue.released += 1;
      this.emit('message_released', { messageId: m.messageId });
    } catch (err) {
      this.logger.warn('could not release a message; it returns after its visibility timeout', { messageId: m.messageId, error: err as Error });
    }
  }

  /**
   * Aborting a long poll only closes our end: the queue may still hand the poll's messages to
   * the dead connection, leaving them invisible for a whole visibility timeout. So a poll in
   * flight is left to finish (≤ 20 s; whatever it returns is released at once) when that fits
   * before the drain deadline, and aborted only when it does not.
   */
  private stopPollingInTime(): void {
    if (this.pollAbort.signal.aborted) return;
    // No poll in flight: aborting is safe and only cuts a receive-error backoff short.
    if (this.pollStartedAt === undefined) { this.pollAbort.abort(); return; }
    const pollEndsAt = this.pollStartedAt + (this.waitTimeSeconds + 2) * 1000;
    if (pollEndsAt > this.deadline - this.marginMs()) this.pollAbort.abort();
  }

  private marginMs(): number {
    return (this.options.drainMarginSeconds ?? 5) * 1000;
  }

  private async finishDrain(): Promise<void> {
    // Read at each use: a lifecycle notice may arrive after a drain began for another reason.
    const heartbeat = this.options.instance ? setInterval(() => {
      const lifecycle = this.lifecycleToComplete();
      if (!lifecycle) return;
      this.options.instance!.recordLifecycleHeartbeat(lifecycle).then(
        () => this.logger.info('lifecycle heartbeat recorded', { inFlight: this.jobs.size }),
        (err) => this.logger.warn('lifecycle heartbeat failed', { error: err as Error }),
      );
    }, (this.options.lifecycleHeartbeatSeconds ?? 30) * 1000) : undefined;
    heartbeat?.unref();

    const marginMs = this.marginMs();
    while (this.jobs.size > 0 && Date.now() < this.deadline - marginMs) {
      await waitAtMost(Promise.race([...this.jobs.values()].map((j) => j.done)), Math.min(1000, this.deadline - marginMs - Date.now()));
    }
    const unfinished = [...this.jobs.values()].filter((j) => j.state === 'running');
    // Release only after the last poll has ended, or that poll could take the released messages.
    await waitAtMost(this.loopDone, this.deadline - Date.now() - marginMs);
    this.pollAbort.abort();
    await this.loopDone;
    if (unfinished.length > 0) {
      this.logger.warn('drain deadline reached; releasing unfinished jobs', { count: unfinished.length });
      await Promise.all(unfinished.map(async (j) => {
        j.released = true;
        j.extender.stop(); // a renewal after the release would hide the message again
        j.controller.abort(new Error('drain deadline'));
        await this.release(j.message);
      }));
    }
    // Handlers that ignore the abort are not waited for beyond the margin.
    await waitAtMost(Promise.all([...this.jobs.values()].map((j) => j.done)), marginMs);
    await this.releasingWaiting;
    await this.deletes.flush();
    await this.protection.release();
    this.recordBusyTime();
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushMetrics();
    if (heartbeat) clearInterval(heartbeat);
    this.options.interruptions?.stop();
    const lifecycle = this.lifecycleToComplete();
    if (lifecycle && this.options.instance) {
      try {
        await this.options.instance.completeLifecycleAction(lifecycle, 'CONTINUE');
        this.logger.info('lifecycle action completed', { hook: lifecycle.hookName, result: 'CONTINUE' });
        this.emit('lifecycle_completed', { ok: true });
      } catch (err) {
        this.logger.error('could not complete the lifecycle action; it times out by itself', { error: err as Error });
        this.emit('lifecycle_completed', { ok: false, error: errorText(err) });
      }
    }
    this.logger.info('stopped', { ...this.stats });
    this.emit('stopped');
    this.resolveStopped();
  }

  private lifecycleToComplete(): LifecycleAction | undefined {
    return this.notice?.kind === 'lifecycle-terminating' ? this.notice.lifecycle ?? this.options.lifecycleAction : undefined;
  }

  private recordBusyTime(): void {
    if (this.busySince === undefined) return;
    const now = Date.now();
    this.metrics.record(Metrics.BUSY_TIME, (now - this.busySince) / 1000, 'Seconds');
    this.busySince = this.running > 0 ? now : undefined;
  }

  private async flushMetrics(): Promise<void> {
    try {
      await this.metrics.flush();
    } catch (err) {
      this.logger.warn('metrics flush failed', { error: err as Error });
    }
  }

  private wakeSlotWaiters(): void {
    const w = this.slotWaiters;
    this.slotWaiters = [];
    w.forEach((r) => r());
  }
}
