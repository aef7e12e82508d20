/**
 * Scale-in protection follows busy periods, not messages: it is set once when the worker goes
 * from idle to busy (before its jobs start) and cleared only after `idleGraceMs` without work,
 * so a steady trickle of messages does not cost two Auto Scaling calls each.
 *
 * A failed clear leaves the instance protected (as far as we know), so it is retried with backoff
 * until it succeeds or work comes back; after any failed call the state is in doubt and the next
 * call is made even if it looks redundant. Work that arrives while a clear is queued or in flight
 * protects again after it (the calls are serialised), so no job runs unprotected.
 */
import type { Logger } from './logger';
import type { InstanceControl } from './ports';

export class ScaleInProtection {
  private protectedNow = false;
  private idleTimer?: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();
  /** Clears queued or in flight (busy() must then protect again, whatever protectedNow says). */
  private clearsPending = 0;
  /** The last call failed: our idea of the instance's state may be wrong. */
  private inDoubt = false;
  private clearFailures = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly control: InstanceControl | undefined,
    private readonly idleGraceMs: number,
    private readonly logger: Logger,
    private readonly onChange: (protectedNow: boolean) => void = () => undefined,
    /** First retry of a failed clear; doubles up to 60 s. */
    private readonly clearRetryBaseMs = 1000,
  ) {}

  get isProtected(): boolean { return this.protectedNow; }

  /** Clears protection left over by a previous run of this instance (crash, restart). */
  async clearStale(): Promise<void> {
    await this.set(false, 'stale protection cleared at start', true);
  }

  /** Called before jobs start; resolves once protection is in place (or failed, logged). */
  async busy(): Promise<void> {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    this.cancelRetry();
    if (!this.protectedNow || this.clearsPending > 0 || this.inDoubt) await this.set(true, 'busy', this.clearsPending > 0 || this.inDoubt);
  }

  /** Called when the last job ends; protection is cleared after the grace period. */
  idle(): void {
    if (!this.protectedNow || this.idleTimer) return;
    this.idleTimer = setTimeout(() => { this.idleTimer = undefined; void this.set(false, 'idle grace period over'); }, this.idleGraceMs);
    this.idleTimer.unref();
  }

  /** Drain: clear now, regardless of the grace period. */
  async release(): Promise<void> {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    this.cancelRetry();
    await this.set(false, 'draining', true);
  }

  private cancelRetry(): void {
    if (this.retryTimer) { clearTimeout(this.retryTimer); this.retryTimer = undefined; }
  }

  private set(protect: boolean, why: string, force = false): Promise<void> {
    if (!protect) this.clearsPending += 1;
    // Serialised so a clear can never overtake a set issued before it.
    this.pending = this.pending.then(async () => {
      try {
        if (!this.control || (!force && !this.inDoubt && this.protectedNow === protect)) return;
        try {
          await this.control.setScaleInProtection(protect);
          this.protectedNow = protect;
          this.inDoubt = false;
          if (!protect) this.clearFailures = 0;
          this.logger.info(protect ? 'scale-in protection set' : 'scale-in protection cleared', { why });
          this.onChange(protect);
        } catch (err) {
          // Not fatal: without protection a scale-in may end a job, whose message then comes back.
          this.inDoubt = true;
          this.logger.warn('could not change scale-in protection', { protect, why, error: err as Error });
          if (!protect) this.retryClear();
        }
      } finally {
        if (!protect) this.clearsPending -= 1;
      }
    });
    return this.pending;
  }

  /** A protected idle instance blocks scale-in (and scale to zero): keep trying to clear it. */
  private retryClear(): void {
    this.clearFailures += 1;
    const ms = Math.min(60_000, this.clearRetryBaseMs * 2 ** (this.clearFailures - 1));
    this.cancelRetry();
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; void this.set(false, 'retrying a failed clear', true); }, ms);
    this.retryTimer.unref();
  }
}
