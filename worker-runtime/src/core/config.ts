/**
 * The runtime's configuration, read only from environment variables (docs/architecture.md
 * lists them). Every problem is reported at once, each naming the variable and what to set.
 */
import { ConfigError } from './errors';
import type { LogLevel } from './logger';
import { defaultJobTimeoutSeconds, HandlerKind, MetricsMode, readRuntimeEnv } from '../contract/runtime-env';

export type { HandlerKind, MetricsMode };

export interface RunConfig {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Bucket outputs are written to; undefined: the event's bucket. */
  readonly outputBucket?: string;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly handler: HandlerKind;
  readonly handlerModule?: string;
  readonly handlerCommand?: string;
  /** Command handler: extension appended to the output key, and its content type. */
  readonly commandOutputExtension: string;
  readonly commandContentType: string;
  readonly commandTimeoutSeconds: number;
  /** Longest run of one job; past it the slot is freed and the message retried or dead-lettered as `timed-out`. */
  readonly jobTimeoutSeconds: number;
  /** Jobs at once: a fixed number, or 'auto' (unset): adaptive, up to `maxConcurrency`. */
  readonly concurrency: number | 'auto';
  readonly maxConcurrency: number;
  /** Messages received ahead of a free slot (kept invisible, released on drain). */
  readonly prefetch: number;
  /** Long-poll wait of each receive (20 in production; shorter only to speed up tests). */
  readonly receiveWaitSeconds: number;
  readonly idleGraceSeconds: number;
  /** After this long idle with the queue empty the worker ends its own instance (core/idle-release.ts); 0 never. */
  readonly idleReleaseSeconds: number;
  /** Leave early when the arrivals seen were sparser than `idleReleaseSeconds` (core/arrival-spacing.ts). */
  readonly idleReleaseEarly: boolean;
  readonly autoScalingGroupName?: string;
  readonly lifecycleHookName?: string;
  /** The launching hook completed with CONTINUE once the worker is ready (core/instance-health.ts). */
  readonly launchHookName?: string;
  /** Starts within `startWindowSeconds` after which the worker marks its instance unhealthy. */
  readonly startLimit: number;
  readonly startWindowSeconds: number;
  /** Where the start ledger lives (core/start-ledger.ts); undefined: systemd's, or none. */
  readonly stateDirectory?: string;
  /** CloudWatch Logs group the log lines are shipped to; undefined: stdout (the journal) only. */
  readonly logGroup?: string;
  /** Overrides the instance id from the metadata service (tests, non-EC2 hosts). */
  readonly instanceId?: string;
  readonly metrics: MetricsMode;
  readonly metricsNamespace: string;
  readonly fleetName: string;
  readonly maxImageBytes: number;
  readonly maxImagePixels: number;
  readonly validateDecode: boolean;
  /** 0 disables the metadata-service watcher (not on EC2). */
  readonly imdsPollSeconds: number;
  readonly logLevel: LogLevel;
  /** Lifecycle heartbeat interval while draining: a third of the hook's heartbeat timeout, 1..30 s. */
  readonly lifecycleHeartbeatIntervalSeconds: number;
  /** The termination hook's heartbeat timeout: bounds the wait for it after leaving the group. */
  readonly lifecycleHeartbeatTimeoutSeconds: number;
  /** How long a SIGTERM / rebalance drain may take before remaining jobs are released. */
  readonly drainTimeoutSeconds: number;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
}

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from `env`; throws a ConfigError listing every problem. The variables,
 * their ranges and defaults are the contract's table (contract/runtime-env.ts), which the construct
 * checks its env file against at synth.
 */
export function loadRunConfig(env: Env = process.env): RunConfig {
  const { values: v, problems } = readRuntimeEnv(env);
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  - ${problems.map((p) => p.message).join('\n  - ')}`);
  }
  const command = v.SPOT_WORKER_HANDLER === 'command';
  return {
    queueUrl: v.SPOT_WORKER_QUEUE_URL,
    deadLetterQueueUrl: v.SPOT_WORKER_DLQ_URL,
    outputBucket: v.SPOT_WORKER_BUCKET,
    inputPrefix: v.SPOT_WORKER_INPUT_PREFIX,
    outputPrefix: v.SPOT_WORKER_OUTPUT_PREFIX,
    handler: v.SPOT_WORKER_HANDLER,
    handlerModule: v.SPOT_WORKER_HANDLER_MODULE,
    handlerCommand: v.SPOT_WORKER_HANDLER_COMMAND,
    commandOutputExtension: v.SPOT_WORKER_OUTPUT_EXTENSION ?? (command ? '.out' : '.pdf'),
    commandContentType: v.SPOT_WORKER_OUTPUT_CONTENT_TYPE ?? (command ? 'application/octet-stream' : 'application/pdf'),
    commandTimeoutSeconds: v.SPOT_WORKER_COMMAND_TIMEOUT_SECONDS,
    jobTimeoutSeconds: v.SPOT_WORKER_JOB_TIMEOUT_SECONDS
      ?? defaultJobTimeoutSeconds(v.SPOT_WORKER_EXPECTED_PROCESSING_SECONDS, command ? v.SPOT_WORKER_COMMAND_TIMEOUT_SECONDS : undefined),
    // Unset: adaptive (core/adaptive-concurrency.ts); a value fixes the number of job slots.
    concurrency: v.SPOT_WORKER_CONCURRENCY ?? 'auto',
    maxConcurrency: v.SPOT_WORKER_MAX_CONCURRENCY,
    prefetch: v.SPOT_WORKER_PREFETCH,
    receiveWaitSeconds: v.SPOT_WORKER_RECEIVE_WAIT_SECONDS,
    idleGraceSeconds: v.SPOT_WORKER_IDLE_GRACE_SECONDS,
    idleReleaseSeconds: v.SPOT_WORKER_IDLE_RELEASE_SECONDS,
    idleReleaseEarly: v.SPOT_WORKER_IDLE_RELEASE_EARLY,
    autoScalingGroupName: v.SPOT_WORKER_ASG_NAME,
    lifecycleHookName: v.SPOT_WORKER_LIFECYCLE_HOOK_NAME,
    launchHookName: v.SPOT_WORKER_LAUNCH_HOOK_NAME,
    startLimit: v.SPOT_WORKER_START_LIMIT,
    startWindowSeconds: v.SPOT_WORKER_START_WINDOW_SECONDS,
    stateDirectory: v.SPOT_WORKER_STATE_DIRECTORY,
    logGroup: v.SPOT_WORKER_LOG_GROUP,
    instanceId: v.SPOT_WORKER_INSTANCE_ID,
    metrics: v.SPOT_WORKER_METRICS,
    metricsNamespace: v.SPOT_WORKER_METRICS_NAMESPACE,
    fleetName: v.SPOT_WORKER_FLEET_NAME,
    maxImageBytes: v.SPOT_WORKER_MAX_IMAGE_BYTES,
    maxImagePixels: v.SPOT_WORKER_MAX_IMAGE_PIXELS,
    validateDecode: v.SPOT_WORKER_VALIDATE_DECODE,
    imdsPollSeconds: v.SPOT_WORKER_IMDS_POLL_SECONDS,
    logLevel: v.SPOT_WORKER_LOG_LEVEL,
    lifecycleHeartbeatIntervalSeconds: Math.min(30, Math.max(1, Math.floor(v.SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS / 3))),
    lifecycleHeartbeatTimeoutSeconds: v.SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS,
    drainTimeoutSeconds: v.SPOT_WORKER_DRAIN_TIMEOUT_SECONDS,
    retryBaseSeconds: v.SPOT_WORKER_RETRY_BASE_SECONDS,
    retryMaxSeconds: v.SPOT_WORKER_RETRY_MAX_SECONDS,
  };
}
