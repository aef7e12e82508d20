/**
 * The Worker: receive S3 events from the work queue, run the handler with bounded concurrency,
 * write outputs, and settle every message exactly one way (deleted, moved to the DLQ with a
 * reason, retried later through its visibility, or released on drain). It sees only the ports,
 * so `spot-worker run` (AWS adapters) and local mode (file adapters) share it.
 *
 * This file wires the parts and owns the lifecycle (start, drain, stop); the parts are the
 * receive loop (receive-loop.ts), the held messages and slots (in-flight.ts), one message's
 * work (job.ts), settling (settle.ts), the end of a drain (drain.ts), and the events
 * (worker-events.ts) from which the logs (worker-log.ts), metrics (worker-metrics.ts) and
 * stats are derived.
 */
import * as os from 'os';
import { AdaptiveConcurrencyOptions, ConcurrencyLimit } from './adaptive-concurrency';
import type { BackoffOptions } from './backoff';
import { DeleteBatcher } from './delete-batcher';
import { finishDrain } from './drain';
import type { Handler } from './handler';
import { HeldMessage, InFlight } from './in-flight';
import { runJob } from './job';
import { runWithTimeout } from './job-timeout';
import { KeyMapper } from './key-mapping';
import { Logger, silentLogger } from './logger';
import { NoopMetricsSink } from './metrics';
import type {
  InstanceControl, InterruptionNotice, InterruptionSource, LifecycleAction, MetricsSink, ObjectStore, QueueMessage, WorkQueue,
} from './ports';
import { ReceiveLoop } from './receive-loop';
import { declaredInputBytes } from './s3-event';
import { ScaleInProtection } from './scale-in-protection';
import { Settler } from './settle';
import { VisibilityExtender } from './visibility-extender';
import { errorText, WorkerEmitter } from './worker-events';
import { logWorkerEvents } from './worker-log';
import { WorkerMetrics } from './worker-metrics';
import { defaultJobTimeoutSeconds, RUNTIME_ENV } from '../contract/runtime-env';

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
  /**
   * Jobs running at once (handler calls): a fixed number, or `'auto'`: adaptive, from the vCPU count
   * up while the event loop and memory have room (core/adaptive-concurrency.ts), so that jobs
   * waiting for storage do not leave the CPU idle. @default 'auto'
   */
  readonly concurrency?: number | 'auto';
  /** Bounds and thresholds of `concurrency: 'auto'`. @default see AdaptiveConcurrencyOptions */
  readonly adaptiveConcurrency?: AdaptiveConcurrencyOptions;
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
  /** Gets the Worker's log lines (derived from its events). @default silent */
  readonly logger?: Logger;
  /** Retry delays of transient failures (applied through visibility). */
  readonly backoff?: BackoffOptions;
  /** Drain deadline when the notice has none (SIGTERM, rebalance, lifecycle). @default 90 */
  readonly drainTimeoutSeconds?: number;
  /** Jobs still running this long before the deadline are aborted and released. @default 5 */
  readonly drainMarginSeconds?: number;
  /**
   * Once the jobs are done or released, the drain's own calls (releases, deletes, protection,
   * metrics, lifecycle) get this long in all; whatever has not answered is left, so a drain ends
   * by its deadline + this even against endpoints that never answer. @default 20
   */
  readonly drainCleanupSeconds?: number;
  /**
   * Longest run of one job (download, handler, upload). Past it the job's signal is aborted, its
   * slot freed at once (even if the handler ignores the signal), and the message retried with
   * backoff, or dead-lettered as `timed-out` on the queue's last receive (core/job-timeout.ts).
   * @default 300 (`defaultJobTimeoutSeconds` of the default expected processing time)
   */
  readonly jobTimeoutSeconds?: number;
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
/** Jobs still running this long before a drain deadline are aborted and released. */
export const DEFAULT_DRAIN_MARGIN_SECONDS = 5;
/**
 * The drain's own calls get this long after the jobs: within the 30 s the construct's unit adds
 * to the drain timeout before systemd kills the process (TimeoutStopSec).
 */
export const DEFAULT_DRAIN_CLEANUP_SECONDS = 20;
/** Buffered metrics are flushed once per CloudWatch minute. */
export const DEFAULT_METRICS_FLUSH_SECONDS = 60;
/** The visibility timeout assumed when the queue's cannot be read. */
const ASSUMED_VISIBILITY_SECONDS = 30;

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
  /** Declared input bytes of the running jobs (bounded with adaptive concurrency). */
  runningInputBytes: number;
}

type Counters = Omit<WorkerStats, 'inFlight' | 'running' | 'waiting' | 'runningInputBytes'>;

export class Worker extends WorkerEmitter {
  /** Resolves when the worker has drained and stopped. */
  public readonly stopped: Promise<void>;

  private readonly queue: WorkQueue;
  private readonly keys: KeyMapper;
  private readonly inFlight: InFlight;
  private readonly loop: ReceiveLoop;
  private readonly settler: Settler;
  private readonly limit: ConcurrencyLimit;
  private readonly protection: ScaleInProtection;
  private readonly deletes: DeleteBatcher;
  private readonly metrics: WorkerMetrics;
  private readonly counters: Counters = { received: 0, deleted: 0, deadLettered: 0, retried: 0, released: 0, deleteFailures: 0 };
  private visibilityTimeout = ASSUMED_VISIBILITY_SECONDS;
  /** The queue's redrive threshold, when it can be read (a timed-out job dead-letters on that receive). */
  private maxReceiveCount?: number;
  private readonly jobTimeoutSeconds: number;
  private started = false;
  private draining = false;
  private notice?: InterruptionNotice;
  private deadline = Infinity;
  private loopDone: Promise<void> = Promise.resolve();
  private releasingWaiting: Promise<void> = Promise.resolve();
  private resolveStopped!: () => void;

  constructor(private readonly options: WorkerOptions) {
    super();
    this.queue = options.queue;
    this.keys = new KeyMapper({ inputPrefix: options.inputPrefix ?? 'uploads/', outputPrefix: options.outputPrefix ?? 'processed/' });
    const setting = options.concurrency ?? 'auto';
    this.limit = new ConcurrencyLimit(setting === 'auto' ? options.adaptiveConcurrency ?? {} : setting,
      Math.max(1, os.cpus().length), os.totalmem(), (limit, previous) => {
        this.emit('concurrency_changed', { limit, previous, running: this.inFlight.running, waiting: this.inFlight.waiting });
        if (limit > previous) this.startWaiting();
        this.inFlight.wake();
      });
    this.jobTimeoutSeconds = options.jobTimeoutSeconds ?? defaultJobTimeoutSeconds(RUNTIME_ENV.SPOT_WORKER_EXPECTED_PROCESSING_SECONDS.default);
    if (!(this.jobTimeoutSeconds > 0)) throw new Error(`jobTimeoutSeconds must be greater than 0, got ${options.jobTimeoutSeconds}`);
    const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new Error(`prefetch must be a whole number ≥ 0, got ${options.prefetch}`);
    this.inFlight = new InFlight(this.limit, prefetch);
    const logger = options.logger ?? silentLogger;
    logWorkerEvents(this, logger);
    this.countEvents();
    const flushEveryMs = (options.metricsFlushSeconds ?? DEFAULT_METRICS_FLUSH_SECONDS) * 1000;
    this.metrics = new WorkerMetrics(options.metrics ?? new NoopMetricsSink(), this, flushEveryMs);
    this.loop = new ReceiveLoop(this.queue, this.inFlight, Math.min(20, Math.max(0, options.waitTimeSeconds ?? 20)), this);
    this.protection = new ScaleInProtection(options.instance, (options.idleGraceSeconds ?? 60) * 1000, logger,
      (p) => this.emit('protection_changed', { protected: p }));
    this.deletes = new DeleteBatcher(this.queue, options.deleteLingerMs ?? DEFAULT_DELETE_LINGER_MS);
    this.settler = new Settler(this.queue, this.deletes, this, options.backoff);
    this.stopped = new Promise((r) => { this.resolveStopped = r; });
  }

  get stats(): Readonly<WorkerStats> {
    const f = this.inFlight;
    return { ...this.counters, inFlight: f.size, running: f.running, waiting: f.waiting, runningInputBytes: f.runningInputBytes };
  }
  get isDraining(): boolean { return this.draining; }

  /** Clears stale protection, reads the queue's visibility timeout, starts the interruption source and the loop. */
  async start(): Promise<void> {
    if (this.started) throw new Error('Worker.start() called twice');
    this.started = true;
    // Both at once, each bounded by its client's timeouts; a drain meanwhile (SIGTERM while
    // starting) ends start() with it, even if a call is still unanswered.
    const settings = (async () => {
      try {
        this.visibilityTimeout = await this.queue.visibilityTimeoutSeconds();
        this.maxReceiveCount = await this.queue.maxReceiveCount?.();
      } catch (err) {
        this.emit('queue_settings_unknown', { error: errorText(err), assumedSeconds: ASSUMED_VISIBILITY_SECONDS });
      }
    })();
    await Promise.race([Promise.all([this.protection.clearStale(), settings]), this.stopped]);
    if (this.draining) return; // drained (SIGTERM) while starting: nothing to run
    this.options.interruptions?.start((notice) => { void this.drain(notice); });
    this.limit.start();
    this.emit('started', {
      concurrency: this.limit.adaptive ? 'auto' : this.inFlight.concurrency,
      prefetch: this.inFlight.prefetch,
      visibilityTimeout: this.visibilityTimeout,
      handler: this.options.handler.name,
    });
    this.loopDone = this.loop.run({
      isDraining: () => this.draining,
      accept: (messages) => this.accept(messages),
      release: (m) => this.settler.release(m),
    }).catch((err) => { this.emit('loop_failed', { error: errorText(err) }); void this.drain({ kind: 'sigterm' }); });
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
    this.loop.stopInTime(this.deadline - this.marginMs());
    const first = !this.draining;
    if (!first) {
      if (notice.kind === 'lifecycle-terminating' && this.notice?.kind !== 'lifecycle-terminating') this.notice = notice;
      this.emit('draining', { ...notice, first, deadline: new Date(this.deadline), inFlight: this.inFlight.size });
      return this.stopped;
    }
    this.draining = true;
    this.notice = notice;
    this.limit.stop();
    this.emit('draining', { ...notice, first, deadline: new Date(this.deadline), inFlight: this.inFlight.size });
    this.inFlight.wake();
    // Prefetched messages were never started: give them back before anything else.
    this.releasingWaiting = this.releaseWaiting();
    // Finished messages' deletes no longer wait for companions: the drain waits for them.
    this.deletes.hurry();
    void finishDrain({
      inFlight: this.inFlight,
      deadline: () => this.deadline,
      marginMs: this.marginMs(),
      cleanupMs: (this.options.drainCleanupSeconds ?? DEFAULT_DRAIN_CLEANUP_SECONDS) * 1000,
      loop: this.loop,
      loopDone: this.loopDone,
      releasingWaiting: this.releasingWaiting,
      settler: this.settler,
      deletes: this.deletes,
      protection: this.protection,
      closeMetrics: () => this.metrics.close(),
      interruptions: this.options.interruptions,
      instance: this.options.instance,
      lifecycleToComplete: () => this.lifecycleToComplete(),
      heartbeatSeconds: this.options.lifecycleHeartbeatSeconds ?? 30,
      events: this,
    }).catch((err) => this.emit('loop_failed', { error: `drain: ${errorText(err)}` }))
      .finally(() => {
        this.emit('stopped', { stats: { ...this.stats } });
        this.resolveStopped();
      });
    return this.stopped;
  }

  /** Stats follow the events, like the logs and metrics. */
  private countEvents(): void {
    const c = this.counters;
    this.on('message_held', () => { c.received += 1; });
    this.on('message_deleted', () => { c.deleted += 1; });
    this.on('message_dead_lettered', () => { c.deadLettered += 1; });
    this.on('message_retry', () => { c.retried += 1; });
    this.on('retry_delay_failed', () => { c.retried += 1; });
    this.on('message_released', () => { c.released += 1; });
    this.on('delete_failed', () => { c.deleteFailures += 1; });
  }

  /** Takes received messages into the waiting line, protects the instance, starts what fits. */
  private async accept(messages: QueueMessage[]): Promise<void> {
    // Held (and kept invisible) from receipt; a drain from here on releases them with the rest.
    for (const m of messages) this.hold(m);
    // Protection goes on before any of this work starts (idle → busy only; no-op when already set).
    await this.protection.busy();
    this.startWaiting();
  }

  private hold(message: QueueMessage): void {
    const held: HeldMessage = {
      message,
      controller: new AbortController(),
      state: 'waiting',
      inputBytes: declaredInputBytes(message.body),
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
    this.inFlight.add(held);
    this.emit('message_held', { messageId: message.messageId, receiveCount: message.receiveCount, inFlight: this.inFlight.size, sentAt: message.sentAt });
    held.extender.start();
  }

  private visibilityLost(held: HeldMessage, err: Error): void {
    // After the outcome is known the delete (or DLQ / retry call) decides; a failed renewal racing it means nothing.
    if (held.state === 'settling' || held.released) return;
    held.lost = true;
    this.emit('visibility_lost', { messageId: held.message.messageId, error: errorText(err) });
    if (held.state === 'waiting') {
      // Never started: just let go of it (another consumer may hold it now).
      this.inFlight.remove(held);
      if (this.inFlight.size === 0 && !this.draining) this.protection.idle();
      return;
    }
    held.controller.abort(err);
  }

  /** Starts waiting messages while slots are free (never during a drain). */
  private startWaiting(): void {
    if (this.draining) return;
    for (let job = this.inFlight.nextToStart(); job; job = this.draining ? undefined : this.inFlight.nextToStart()) this.startJob(job);
  }

  private startJob(job: HeldMessage): void {
    const { message, controller, extender } = job;
    const ref = { messageId: message.messageId, receiveCount: message.receiveCount };
    this.emit('message_received', ref);
    const deps = {
      store: this.options.store,
      handler: this.options.handler,
      keys: this.keys,
      outputBucket: this.options.outputBucket,
      maxInputBytes: this.options.maxInputBytes,
    };
    let current: { bucket: string; key: string } | undefined;
    job.done = runWithTimeout(message, (signal) => runJob(message, deps, signal, (rec) => { current = rec; }), controller, {
      seconds: this.jobTimeoutSeconds,
      maxReceiveCount: this.maxReceiveCount,
      current: () => current,
      onTimeout: (action) => this.emit('job_timed_out', { ...ref, seconds: this.jobTimeoutSeconds, action }),
    })
      .then((outcome) => {
        for (const r of outcome.records) this.emit('record_done', { ...r, ...ref });
        // The outcome is known: the slot is free now, while the message is settled (a delete may
        // wait for companions). The message stays held, so a drain still waits for it.
        this.jobFinished(job, outcome.action);
        return this.settler.settle(job, outcome);
      }, (err) => {
        this.jobFinished(job, 'failed');
        throw err;
      })
      .catch((err) => { this.emit('settle_failed', { messageId: message.messageId, error: errorText(err) }); })
      .finally(() => {
        void extender.stop();
        this.inFlight.remove(job);
        if (this.inFlight.size === 0 && !this.draining) this.protection.idle();
      });
  }

  private jobFinished(job: HeldMessage, action: 'delete' | 'dead-letter' | 'retry' | 'failed'): void {
    this.inFlight.freeSlot(job);
    this.emit('job_finished', { messageId: job.message.messageId, action, running: this.inFlight.running });
    this.startWaiting();
  }

  /** Releases every waiting (never started) message at once; they are no longer held from now. */
  private async releaseWaiting(): Promise<void> {
    const waiting = this.inFlight.takeWaiting();
    for (const w of waiting) w.released = true;
    if (waiting.length > 0) this.emit('prefetch_released', { count: waiting.length });
    await Promise.all(waiting.map((w) => this.settler.release(w.message, w.extender)));
  }

  private marginMs(): number {
    return (this.options.drainMarginSeconds ?? DEFAULT_DRAIN_MARGIN_SECONDS) * 1000;
  }

  private lifecycleToComplete(): LifecycleAction | undefined {
    return this.notice?.kind === 'lifecycle-terminating' ? this.notice.lifecycle ?? this.options.lifecycleAction : undefined;
  }
}
