/**
 * Scale-in protection follows busy periods, not messages: it is set once when the worker goes
 * from idle to busy (before its jobs start) and cleared only after `idleGraceMs` without work,
 * so a steady trickle of messages does not cost two Auto Scaling calls each.
 */
import type { Logger } from './logger';
import type { InstanceControl } from './ports';

export class ScaleInProtection {
  private protectedNow = false;
  private idleTimer?: NodeJS.Timeout;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly control: InstanceControl | undefined,
    private readonly idleGraceMs: number,
    private readonly logger: Logger,
    private readonly onChange: (protectedNow: boolean) => void = () => undefined,
  ) {}

  get isProtected(): boolean { return this.protectedNow; }

  /** Clears protection left over by a previous run of this instance (crash, restart). */
  async clearStale(): Promise<void> {
    await this.set(false, 'stale protection cleared at start', true);
  }

  /** Called before jobs start; resolves once protection is in place (or failed, logged). */
  async busy(): Promise<void> {
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    if (!this.protectedNow) await this.set(true, 'busy');
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
    await this.set(false, 'draining', true);
  }

  private set(protect: boolean, why: string, force = false): Promise<void> {
    // Serialised so a clear can never overtake a set issued before it.
    this.pending = this.pending.then(async () => {
      if (!this.control || (!force && this.protectedNow === protect)) return;
      try {
        await this.control.setScaleInProtection(protect);
        this.protectedNow = protect;
        this.logger.info(protect ? 'scale-in protection set' : 'scale-in protection cleared', { why });
        this.onChange(protect);
      } catch (err) {
        // Not fatal: without protection a scale-in may end a job, whose message then comes back.
        this.logger.warn('could not change scale-in protection', { protect, why, error: err as Error });
        if (!protect) this.protectedNow = false;
      }
    });
    return this.pending;
  }
}
