/**
 * Idle self-release, a ski-rental rule: keeping an idle instance costs its running time, releasing
 * it costs a relaunch (a boot, billed from launch) when work comes back. So an instance that has
 * been idle for about one boot time ends itself (TerminateInstanceInAutoScalingGroup with the
 * desired capacity decremented, so the group does not replace it). Whatever the next gap, this
 * spends at most twice what the best choice in hindsight would (docs/benchmarks.md, section 4).
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
  /** How often idleness is sampled. @default idleSeconds / 6, between 0.05 and 5 s */
  readonly checkEveryMs?: number;
}

export class IdleRelease {
  private idleSince = Date.now();
  private timer?: NodeJS.Timeout;
  private checking = false;
  private left = false;

  constructor(private readonly options: IdleReleaseOptions) {}

  /** True once the group accepted the leave. */
  get hasLeft(): boolean { return this.left; }

  /** Follows the worker: every received message restarts the idle clock; a drain ends the rule. */
  attach(worker: WorkerEmitter): this {
    if (!(this.options.idleSeconds > 0) || !this.options.queue.approximateDepth) return this;
    worker.on('started', () => this.start());
    worker.on('message_held', () => { this.idleSince = Date.now(); });
    worker.on('draining', () => this.stop());
    return this;
  }

  start(): void {
    if (this.timer || this.left) return;
    this.idleSince = Date.now();
    const every = this.options.checkEveryMs ?? Math.min(5000, Math.max(50, (this.options.idleSeconds * 1000) / 6));
    this.timer = setInterval(() => { void this.check(); }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample: leave when idle for the whole period and the queue is empty. */
  async check(now = Date.now()): Promise<void> {
    if (this.checking || this.left) return;
    if (!this.options.isIdle()) { this.idleSince = now; return; }
    const idleMs = now - this.idleSince;
    if (idleMs < this.options.idleSeconds * 1000) return;
    this.checking = true;
    const log = this.options.logger;
    try {
      const depth = await this.options.queue.approximateDepth!();
      if (depth.visible + depth.notVisible > 0) {
        log.info('idle release deferred: the queue is not empty', { idleSeconds: Math.round(idleMs / 1000), ...depth });
        return;
      }
      // Work may have arrived while the depth was read.
      if (!this.options.isIdle() || this.idleSince > now) return;
      await this.options.instance.leaveGroup(true);
      this.left = true;
      this.stop();
      log.info('idle release: left the group, desired capacity decremented', { idleSeconds: Math.round(idleMs / 1000) });
    } catch (err) {
      // E.g. "desired capacity equals minimum size": stay, and ask again after another idle period.
      log.warn('idle release failed; staying', { error: errorText(err) });
    } finally {
      if (!this.left) this.idleSince = Date.now();
      this.checking = false;
    }
  }
}
