/**
 * Scale-in protection follows busy periods, not messages: it is set once when the worker goes
 * from idle to busy (before its jobs start) and cleared only after `idleGraceMs` without work,
 * so a steady trickle of messages does not cost two Auto Scaling calls each.
 *
 * A failed clear leaves the instance protected (as far as we know), so it is retried with backoff
 * until it succeeds or work comes back; after any failed call the state is in doubt and the next
 * call is made even if it looks redundant. Work that arrives while a clear is queued or in flight
 * protects again after it (the calls are serialised), so no job runs unprotected.
 *
 * A failed call is ambiguous (a timeout may come after the change took effect, or before it
 * reached Auto Scaling), so the instance's actual state is then read back (DescribeAutoScalingInstances)
 * and taken as ours: when it already is what we want, nothing more is sent; when it is not, the
 * call is retried with the same backoff, a protect as well as a clear, so a worker with jobs does
 * not run unprotected until its next busy period.
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
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  /** What the worker wants now: protected while busy, not once idle or draining. */
  private wanted = false;

  constructor(
    private readonly control: InstanceControl | undefined,
    private readonly idleGraceMs: number,
    private readonly logger: Logger,
    private readonly onChange: (protectedNow: boolean) => void = () => undefined,
    /** First retry of a failed call; doubles up to 60 s. */
    private readonly retryBaseMs = 1000,
  ) {}

  get isProtected(): boolean { return this.protectedNow; }

  /** Clears protection left over by a previous run of this instance (crash, restart). */
  async clearStale(): Promise<void> {
    this.wanted = false;
    await this.set(false, 'stale protection cleared at start', true);
  }

  /** Called before jobs start; resolves once protection is in place (or failed, logged). */
  async busy(): Promise<void> {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    this.cancelRetry();
    this.wanted = true;
    if (!this.protectedNow || this.clearsPending > 0 || this.inDoubt) await this.set(true, 'busy', this.clearsPending > 0 || this.inDoubt);
  }

  /** Called when the last job ends; protection is cleared after the grace period. */
  idle(): void {
    if (this.idleTimer) return;
    if (!this.protectedNow && !this.inDoubt) {
      // Not protected (a protect that failed and read back as off): a protect retry would now be wrong.
      this.wanted = false;
      this.cancelRetry();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.wanted = false;
      void this.set(false, 'idle grace period over');
    }, this.idleGraceMs);
    this.idleTimer.unref();
  }

  /** Drain: clear now, regardless of the grace period. */
  async release(): Promise<void> {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    this.cancelRetry();
    this.wanted = false;
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
          this.failures = 0;
          this.known(protect, 'set');
          this.logger.info(protect ? 'scale-in protection set' : 'scale-in protection cleared', { why });
        } catch (err) {
          // Not fatal: without protection a scale-in may end a job, whose message then comes back.
          this.inDoubt = true;
          this.logger.warn('could not change scale-in protection', { protect, why, error: err as Error });
          await this.reconcile(protect, why);
        }
      } finally {
        if (!protect) this.clearsPending -= 1;
      }
    });
    return this.pending;
  }

  /** The instance's state is known to be `state`: just set, or read back after a failed call. */
  private known(state: boolean, how: 'set' | 'read'): void {
    const changed = state !== this.protectedNow;
    this.protectedNow = state;
    this.inDoubt = false;
    if (how === 'set' || changed) this.onChange(state);
  }

  /**
   * After a failed call: read the actual state and take it; retry what the worker still wants
   * unless the instance already is in that state (or the read fails too: then retry anyway).
   */
  private async reconcile(attempted: boolean, why: string): Promise<void> {
    if (this.control?.readScaleInProtection) {
      try {
        const actual = await this.control.readScaleInProtection();
        this.known(actual, 'read');
        this.logger.info('scale-in protection read back', { protected: actual, wanted: this.wanted, why });
        if (actual === this.wanted) { this.failures = 0; return; }
      } catch (err) {
        this.logger.warn('could not read scale-in protection back', { error: err as Error });
      }
    }
    // A failed protect while work runs is retried too (not only at the next busy period).
    if (!attempted || this.wanted) this.retry();
  }

  /** Keep trying: a protected idle instance blocks scale-in (and scale to zero), an unprotected busy one may lose its jobs. */
  private retry(): void {
    this.failures += 1;
    const ms = Math.min(60_000, this.retryBaseMs * 2 ** (this.failures - 1));
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.set(this.wanted, this.wanted ? 'retrying a failed protect' : 'retrying a failed clear', true);
    }, ms);
    this.retryTimer.unref();
  }
}
