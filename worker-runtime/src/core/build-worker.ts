/**
 * The one way to build a Worker from the runtime's configuration (`loadRunConfig`), used by
 * `spot-worker run` on EC2 and by every local-mode worker process. The two differ only in the
 * adapters they pass (AWS SDK and IMDS, or files and IPC) and in local mode's time compression:
 * with `timeScale` x, every duration the scaling policy and the drain are measured in (idle
 * grace, drain timeout and margin, lifecycle heartbeat, metrics flush, retry delays) runs x
 * times faster, so one CloudWatch minute lasts 60 / x seconds. Durations the queue itself
 * keeps (visibility timeout, long-poll wait) are real seconds in both.
 */
import type { RunConfig } from './config';
import type { Handler } from './handler';
import { EARLY_RELEASE_SECONDS, IdleRelease } from './idle-release';
import type { Logger } from './logger';
import type {
  InstanceControl, InterruptionSource, LifecycleAction, MetricsSink, ObjectStore, WorkQueue,
} from './ports';
import { DEFAULT_DRAIN_MARGIN_SECONDS, DEFAULT_METRICS_FLUSH_SECONDS, Worker, WorkerOptions } from './worker';

/** The settings of RunConfig the Worker reads (the rest picks adapters and the handler). */
export type WorkerConfig = Pick<RunConfig,
'inputPrefix' | 'outputPrefix' | 'outputBucket' | 'concurrency' | 'maxConcurrency' | 'prefetch' | 'receiveWaitSeconds' | 'idleGraceSeconds' | 'idleReleaseSeconds' | 'idleReleaseEarly'
| 'lifecycleHeartbeatIntervalSeconds' | 'drainTimeoutSeconds' | 'retryBaseSeconds' | 'retryMaxSeconds' | 'maxImageBytes' | 'jobTimeoutSeconds'>;

/** What a deployment plugs in: the ports, the handler and the logger. */
export interface WorkerParts {
  readonly queue: WorkQueue;
  readonly store: ObjectStore;
  readonly handler: Handler;
  readonly logger: Logger;
  readonly instance?: InstanceControl;
  readonly lifecycleAction?: LifecycleAction;
  readonly interruptions?: InterruptionSource;
  readonly metrics?: MetricsSink;
}

/** The Worker's options for a configuration; `timeScale` is 1 except in local mode. */
export function workerOptions(config: WorkerConfig, parts: WorkerParts, timeScale = 1): WorkerOptions {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  const t = (seconds: number): number => seconds / timeScale;
  return {
    ...parts,
    inputPrefix: config.inputPrefix,
    outputPrefix: config.outputPrefix,
    outputBucket: config.outputBucket,
    concurrency: config.concurrency,
    adaptiveConcurrency: { max: config.maxConcurrency },
    prefetch: config.prefetch,
    waitTimeSeconds: config.receiveWaitSeconds,
    maxInputBytes: config.maxImageBytes,
    // Real seconds, like the visibility timeout: a handler's work is not compressed in local mode.
    jobTimeoutSeconds: config.jobTimeoutSeconds,
    idleGraceSeconds: t(config.idleGraceSeconds),
    lifecycleHeartbeatSeconds: t(config.lifecycleHeartbeatIntervalSeconds),
    drainTimeoutSeconds: t(config.drainTimeoutSeconds),
    drainMarginSeconds: t(DEFAULT_DRAIN_MARGIN_SECONDS),
    metricsFlushSeconds: t(DEFAULT_METRICS_FLUSH_SECONDS),
    backoff: { baseSeconds: t(config.retryBaseSeconds), maxSeconds: Math.max(t(config.retryBaseSeconds), t(config.retryMaxSeconds)) },
  };
}

export function buildWorker(config: WorkerConfig, parts: WorkerParts, timeScale = 1): Worker {
  const worker = new Worker(workerOptions(config, parts, timeScale));
  // Idle self-release (core/idle-release.ts) needs a group to leave: none outside an Auto Scaling group.
  if (parts.instance && config.idleReleaseSeconds > 0) {
    new IdleRelease({
      idleSeconds: config.idleReleaseSeconds / timeScale,
      earlySeconds: config.idleReleaseEarly ? EARLY_RELEASE_SECONDS / timeScale : undefined,
      instance: parts.instance,
      queue: parts.queue,
      isIdle: () => worker.stats.inFlight === 0 && !worker.isDraining,
      logger: parts.logger,
    }).attach(worker);
  }
  return worker;
}
