/**
 * Watches the instance metadata service for the three ways EC2 tells a worker to leave:
 * a Spot interruption notice, a rebalance recommendation, and an Auto Scaling target
 * lifecycle state of `Terminated`. Each kind is reported once, with the deadline the run loop
 * drains against. See docs/spot-interruptions.md for the deadlines chosen and why.
 */
import { ImdsClient, ImdsClientOptions } from './imds-client';
import { InterruptionNotice, InterruptionSource, LifecycleAction } from '../../core/ports';

/** Spot gives two minutes' warning; used when a notice has no readable time. */
export const SPOT_WARNING_MS = 120_000;

/** The logging the watcher needs; the runtime's structured logger satisfies it. */
export interface ImdsWatcherLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The metadata reads the watcher makes; `ImdsClient` implements it. */
export type ImdsReader = Pick<ImdsClient, 'instanceId' | 'spotInstanceAction' | 'rebalanceRecommendation' | 'targetLifecycleState'>;

/** The termination lifecycle hook this instance's group runs, when it has one. */
export interface LifecycleHookOptions {
  /** Name of the termination lifecycle hook to complete once drained. */
  readonly hookName: string;
  /** The Auto Scaling group. */
  readonly groupName: string;
  /**
   * This instance's id, when known without asking IMDS (`SPOT_WORKER_INSTANCE_ID`).
   * @default read from IMDS when `Terminated` is seen
   */
  readonly instanceId?: string;
  /**
   * The hook's heartbeat timeout: the drain deadline is this long after `Terminated` is seen
   * (the run loop may extend it with heartbeats).
   * @default no deadline reported
   */
  readonly heartbeatTimeoutSeconds?: number;
}

export interface ImdsWatcherOptions {
  readonly logger: ImdsWatcherLogger;
  /** @default a new ImdsClient (endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT) */
  readonly client?: ImdsReader;
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** @default no lifecycle hook: `Terminated` still drains, but there is no action to complete */
  readonly lifecycleHook?: LifecycleHookOptions;
  /** For tests. @default Date.now */
  readonly now?: () => number;
}

type NoticeCallback = (notice: InterruptionNotice) => void;

export class ImdsInterruptionWatcher implements InterruptionSource {
  /**
   * The watcher as configured by the runtime's environment variables (docs/architecture.md):
   * `SPOT_WORKER_IMDS_POLL_SECONDS`, `SPOT_WORKER_ASG_NAME`, `SPOT_WORKER_LIFECYCLE_HOOK_NAME`,
   * `SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS`, `SPOT_WORKER_INSTANCE_ID`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
   */
  public static fromEnvironment(env: NodeJS.ProcessEnv, logger: ImdsWatcherLogger, clientOptions: ImdsClientOptions = {}): ImdsInterruptionWatcher {
    const poll = positiveNumber(env, 'SPOT_WORKER_IMDS_POLL_SECONDS', 5);
    const hookName = env.SPOT_WORKER_LIFECYCLE_HOOK_NAME?.trim();
    const groupName = env.SPOT_WORKER_ASG_NAME?.trim();
    if (hookName && !groupName) {
      throw new Error('SPOT_WORKER_LIFECYCLE_HOOK_NAME is set but SPOT_WORKER_ASG_NAME is not: set both to complete lifecycle actions');
    }
    const heartbeat = env.SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS
      ? positiveNumber(env, 'SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS', 0)
      : undefined;
    return new ImdsInterruptionWatcher({
      logger,
      client: new ImdsClient({ endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT, ...clientOptions }),
      pollIntervalMs: poll * 1000,
      lifecycleHook: hookName && groupName
        ? { hookName, groupName, heartbeatTimeoutSeconds: heartbeat, instanceId: env.SPOT_WORKER_INSTANCE_ID?.trim() || undefined }
        : undefined,
    });
  }

  private readonly client: ImdsReader;
  private readonly logger: ImdsWatcherLogger;
  private readonly pollIntervalMs: number;
  private readonly lifecycleHook?: LifecycleHookOptions;
  private readonly now: () => number;
  private readonly reported = new Set<InterruptionNotice['kind']>();
  private onNotice?: NoticeCallback;
  private timer?: NodeJS.Timeout;
  private running = false;
  private instanceId?: string;
  /** Whether the last poll failed, so an outage is logged once, not every poll. */
  private failing = false;
  private polling?: Promise<void>;

  constructor(options: ImdsWatcherOptions) {
    this.logger = options.logger;
    this.client = options.client ?? new ImdsClient();
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    if (!(this.pollIntervalMs > 0)) throw new Error(`pollIntervalMs must be positive, got ${this.pollIntervalMs}`);
    this.lifecycleHook = options.lifecycleHook;
    this.now = options.now ?? Date.now;
  }

  public start(onNotice: NoticeCallback): void {
    if (this.running) throw new Error('ImdsInterruptionWatcher already started');
    this.running = true;
    this.onNotice = onNotice;
    this.logger.debug('imds watcher started', { pollIntervalMs: this.pollIntervalMs, lifecycleHook: this.lifecycleHook?.hookName });
    this.schedule(0);
  }

  public stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves once the poll in progress (if any) has finished; for orderly shutdown and tests. */
  public async idle(): Promise<void> {
    await this.polling;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().catch(() => {
        // poll() handles its own failures; this only guards against a throwing logger.
      }).finally(() => {
        this.polling = undefined;
        // Once every kind has been reported there is nothing left to watch for.
        if (this.reported.size < 3) this.schedule(this.pollIntervalMs);
      });
    }, delayMs);
    // The watcher alone must never keep the process alive.
    this.timer.unref();
  }

  /** One poll. Never rejects: failures are logged and the next poll tries again. */
  private async poll(): Promise<void> {
    // Settled separately so one failing path does not hide a notice on another.
    const [spot, rebalance, state] = await Promise.allSettled([
      this.reported.has('spot-interruption') ? undefined : this.client.spotInstanceAction(),
      this.reported.has('rebalance-recommendation') ? undefined : this.client.rebalanceRecommendation(),
      this.reported.has('lifecycle-terminating') ? undefined : this.client.targetLifecycleState(),
    ]);
    const errors: unknown[] = [];
    const now = this.now();
    // Spot first: when several arrive in one poll the hardest deadline reaches the run loop first.
    if (spot.status === 'rejected') {
      errors.push(spot.reason);
    } else if (spot.value) {
      const deadline = spot.value.time ?? new Date(now + SPOT_WARNING_MS);
      this.report({ kind: 'spot-interruption', deadline }, { action: spot.value.action, noticeTime: spot.value.time?.toISOString() });
    }
    if (state.status === 'rejected') {
      errors.push(state.reason);
    } else if (state.value === 'Terminated') {
      try {
        await this.reportLifecycle(now);
      } catch (err) {
        errors.push(err);
      }
    }
    if (rebalance.status === 'rejected') {
      errors.push(rebalance.reason);
    } else if (rebalance.value) {
      // No deadline: EC2 gives none, and the instance cannot be reclaimed sooner than a Spot
      // notice's two minutes after one appears. The run loop bounds the drain with its own
      // drain timeout (SPOT_WORKER_DRAIN_TIMEOUT_SECONDS), and a Spot notice that follows
      // brings the deadline forward.
      this.report({ kind: 'rebalance-recommendation' }, { noticeTime: rebalance.value.noticeTime?.toISOString() });
    }
    this.noteHealth(errors);
  }

  /** Logs an outage once when it starts and once when it ends, not on every poll. */
  private noteHealth(errors: unknown[]): void {
    if (errors.length === 0) {
      if (this.failing) this.logger.info('imds reachable again');
      this.failing = false;
      return;
    }
    const error = errors.map(errorMessage).join('; ');
    if (!this.failing) this.logger.warn('imds poll failed; retrying every poll interval', { error });
    else this.logger.debug('imds poll failed', { error });
    this.failing = true;
  }

  private async reportLifecycle(now: number): Promise<void> {
    let lifecycle: LifecycleAction | undefined;
    if (this.lifecycleHook) {
      // Without the instance id the action cannot be completed: fail this poll and retry.
      this.instanceId ??= this.lifecycleHook.instanceId ?? await this.client.instanceId();
      lifecycle = { hookName: this.lifecycleHook.hookName, groupName: this.lifecycleHook.groupName, instanceId: this.instanceId };
    }
    const heartbeat = this.lifecycleHook?.heartbeatTimeoutSeconds;
    const deadline = heartbeat ? new Date(now + heartbeat * 1000) : undefined;
    this.report({ kind: 'lifecycle-terminating', deadline, lifecycle }, { hookName: lifecycle?.hookName, groupName: lifecycle?.groupName });
  }

  private report(notice: InterruptionNotice, fields: Record<string, unknown>): void {
    if (this.reported.has(notice.kind) || !this.running) return;
    this.reported.add(notice.kind);
    this.logger.warn('interruption notice', { kind: notice.kind, deadline: notice.deadline?.toISOString(), ...fields });
    try {
      this.onNotice?.(notice);
    } catch (err) {
      this.logger.error('interruption handler threw', { kind: notice.kind, error: errorMessage(err) });
    }
  }
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of seconds, got '${raw}'`);
  return n;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
