/**
 * Idle self-release, a ski-rental rule: keeping an idle instance costs its running time, releasing
 * it costs a relaunch (a boot, billed from launch) when work comes back. So an instance that has
 * been idle for about one boot time ends itself (TerminateInstanceInAutoScalingGroup with the
 * desired capacity decremented, so the group does not replace it). Whatever the next gap, this
 * spends at most twice what the best choice in hindsight would (docs/benchmarks.md, section 4).
 * When the messages this instance took arrived on average further apart than that idle period
 * (arrival-spacing.ts), it leaves as soon as it is idle with the queue empty instead: on such traffic
 * a relaunch costs less than waiting (the early leave, on by default, `idleReleaseEarly`).
 *
 * Guards:
 * - only with the queue empty: before leaving it reads the queue's depth (visible + in flight), so
 *   the last instance does not leave while a message waits or is being worked on elsewhere (that
 *   message might come back with no instance left to take it);
 * - any message received restarts the idle clock; a refused or failed leave (e.g. the group is at
 *   its minimum) is tried again only after another full idle period, so bursty traffic cannot make
 *   it call Auto Scaling more than once per idle period.
 *
 * The leave does not stop the worker: the group's termination (lifecycle hook, seen through the
 * metadata service) drains it as any scale-in does, and a message received meanwhile is released.
 */
import { ArrivalSpacing } from './arrival-spacing';
import type { Logger } from './logger';
import type { InstanceControl, WorkQueue } from './ports';
import { errorText, WorkerEmitter } from './worker-events';

export interface IdleReleaseOptions {
  /** Idle time after which the instance leaves; 0 (or less) disables the rule. */
  readonly idleSeconds: number;
  readonly instance: InstanceControl;
  readonly queue: Pick<WorkQueue, 'approximateDepth'>;
  /** True while no message is held (running, waiting or being settled) and the worker is not draining. */
  readonly isIdle: () => boolean;
  readonly logger: Logger;
  /**
   * Leave after this much idle time instead when the arrivals seen were sparser than `idleSeconds`
   * (see arrival-spacing.ts); undefined: always wait `idleSeconds`.
   */
  readonly earlySeconds?: number;
  /** How often idleness is sampled. @default min(idleSeconds, earlySeconds) / 6, between 0.05 and 5 s */
  readonly checkEveryMs?: number;
}

/**
 * The early leave's idle time: long enough for the last job's delete to reach SQS (the depth read
 * counts in-flight messages) and for a message sent meanwhile to reach the open long poll.
 */
export const EARLY_RELEASE_SECONDS = 5;
/** Early attempts (each one depth read) before only the full idle period applies again. */
export const EARLY_ATTEMPTS = 3;

/** Why an instance left: after the full idle period, or early because arrivals were sparse. */
export type IdleReleaseRule = 'idle-period' | 'sparse-arrivals';

export class IdleRelease {
  private idleSince = Date.now();
  private timer?: NodeJS.Timeout;
  private checking = false;
  private left = false;
  private readonly spacing = new ArrivalSpacing();
  private worker?: WorkerEmitter;
  /**
   * Early attempts since the last message that did not end in a leave (queue not empty, or refused):
   * after EARLY_ATTEMPTS of them only the full period applies, so an idle instance reads the depth
   * at most a few times early and a refusing group is asked once per period.
   */
  private earlyAttempts = 0;

  constructor(private readonly options: IdleReleaseOptions) {}

  /** True once the group accepted the leave. */
  get hasLeft(): boolean { return this.left; }

  /** Follows the worker: every received message restarts the idle clock; a drain ends the rule. */
  attach(worker: WorkerEmitter): this {
    if (!(this.options.idleSeconds > 0) || !this.options.queue.approximateDepth) return this;
    this.worker = worker;
    worker.on('started', () => this.start());
    worker.on('message_held', (e) => {
      this.idleSince = Date.now();
      this.earlyAttempts = 0;
      // First deliveries only: a redelivery is not new work. No SentTimestamp: it arrived now, as far as we know.
      if (e.receiveCount <= 1) this.spacing.record(e.sentAt ?? Date.now());
    });
    worker.on('draining', () => this.stop());
    return this;
  }

  start(): void {
    if (this.timer || this.left) return;
    this.idleSince = Date.now();
    const shortest = Math.min(this.options.idleSeconds, this.options.earlySeconds ?? Infinity);
    const every = this.options.checkEveryMs ?? Math.min(5000, Math.max(50, (shortest * 1000) / 6));
    this.timer = setInterval(() => { void this.check(); }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The rule that applies now and the idle time it asks for, ms. */
  private rule(): { rule: IdleReleaseRule; idleMs: number } {
    const full = this.options.idleSeconds * 1000;
    const early = this.options.earlySeconds;
    if (early !== undefined && early * 1000 < full && this.earlyAttempts < EARLY_ATTEMPTS && this.spacing.isSparserThan(full)) return { rule: 'sparse-arrivals', idleMs: early * 1000 };
    return { rule: 'idle-period', idleMs: full };
  }

  /** One sample: leave when idle for the rule's time and the queue is empty. */
  async check(now = Date.now()): Promise<void> {
    if (this.checking || this.left) return;
    if (!this.options.isIdle()) { this.idleSince = now; return; }
    const idleMs = now - this.idleSince;
    const { rule, idleMs: needed } = this.rule();
    if (idleMs < needed) return;
    this.checking = true;
    const log = this.options.logger;
    try {
      const depth = await this.options.queue.approximateDepth!();
      if (depth.visible + depth.notVisible > 0) {
        log.info('idle release deferred: the queue is not empty', { idleSeconds: Math.round(idleMs / 1000), rule, ...depth });
        if (rule === 'sparse-arrivals') this.earlyAttempts += 1;
        return;
      }
      // Work may have arrived while the depth was read.
      if (!this.options.isIdle() || this.idleSince > now) return;
      await this.options.instance.leaveGroup(true);
      this.left = true;
      this.stop();
      const gap = this.spacing.meanGapMs;
      log.info('idle release: left the group, desired capacity decremented', {
        idleSeconds: Math.round(idleMs / 1000),
        rule,
        messages: this.spacing.messages,
        ...(gap === undefined ? {} : { meanArrivalGapSeconds: Math.round(gap / 100) / 10 }),
      });
      this.worker?.emit('left_group', { rule, idleSeconds: Math.round(idleMs / 1000) });
    } catch (err) {
      // E.g. "desired capacity equals minimum size": stay, and ask again after another idle period.
      log.warn('idle release failed; staying', { error: errorText(err) });
      if (rule === 'sparse-arrivals') this.earlyAttempts = EARLY_ATTEMPTS;
    } finally {
      if (!this.left) this.idleSince = Date.now();
      this.checking = false;
    }
  }
}
