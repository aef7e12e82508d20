/**
 * Builds the AWS implementations of the ports from the runtime configuration: what
 * `spot-worker run` hands to the Worker. Local mode has its own factory over files.
 */
import * as os from 'os';
import { AutoScalingInstanceControl } from './auto-scaling-instance-control';
import { AwsClients, createAwsClients, createCloudWatchLogsClient, DEFAULT_AWS_TIMEOUTS, destroyAwsClients, s3ConnectionsFor } from './aws-clients';
import { CloudWatchLogShipper, LogShipperOptions } from './cloudwatch-log-shipper';
import { CloudWatchMetricsSink } from './cloudwatch-metrics-sink';
import { ImdsClient } from './imds-client';
import { waitForTerminatedState } from './imds-termination-wait';
import { ImdsInterruptionWatcher } from './imds-watcher';
import { S3ObjectStore } from './s3-object-store';
import { SqsWorkQueue } from './sqs-work-queue';
import type { MetricsMode, RuntimeEnvValues } from '../../contract/runtime-env';
import { FLEET_DIMENSION } from '../../contract/runtime-metrics';
import type { RunConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
import type { GiveUpParts } from '../../core/instance-health';
import type { Logger } from '../../core/logger';
import { LogMetricsSink, NoopMetricsSink } from '../../core/metrics';
import type { InstanceControl, InterruptionSource, LifecycleAction, MetricsSink, ObjectStore, WorkQueue } from '../../core/ports';

export interface AwsAdapters {
  readonly queue: WorkQueue;
  readonly store: ObjectStore;
  readonly metrics: MetricsSink;
  /** Present when `SPOT_WORKER_ASG_NAME` is set. */
  readonly instance?: InstanceControl;
  /** The lifecycle action to complete on `Terminated`, when a hook is configured. */
  readonly lifecycleAction?: LifecycleAction;
  /** The launching hook to complete once ready, when `SPOT_WORKER_LAUNCH_HOOK_NAME` is set. */
  readonly launchHook?: LifecycleAction;
  /** The IMDS watcher, unless `SPOT_WORKER_IMDS_POLL_SECONDS=0`. */
  readonly interruptions?: InterruptionSource;
  readonly instanceId?: string;
  /**
   * Waits (at most `timeoutMs`) for IMDS to say the target lifecycle state is `Terminated`; true
   * when it did. For the end of a drain that left the group.
   */
  waitForTerminated(timeoutMs: number): Promise<boolean>;
  /** Releases the SDK clients' sockets. */
  close(): void;
}

export interface AwsAdapterOptions {
  readonly env?: Record<string, string | undefined>;
  /** Pre-built clients (tests). @default createAwsClients(env) */
  readonly clients?: AwsClients;
}

/** The metrics sink `SPOT_WORKER_METRICS` names. */
export function createMetricsSink(
  settings: { readonly metrics: MetricsMode; readonly metricsNamespace: string; readonly fleetName: string },
  clients: AwsClients, logger: Logger,
): MetricsSink {
  const dims = { [FLEET_DIMENSION]: settings.fleetName };
  return settings.metrics === 'cloudwatch'
    ? new CloudWatchMetricsSink(clients.cloudWatch, settings.metricsNamespace, dims)
    : settings.metrics === 'log' ? new LogMetricsSink(logger.child({ component: 'metrics' }), dims) : new NoopMetricsSink();
}

/** This instance's id: as configured, else from the metadata service (only when a group needs it). */
async function resolveInstanceId(
  configured: string | undefined, groupName: string | undefined, env: Record<string, string | undefined>,
): Promise<string | undefined> {
  if (configured || !groupName) return configured;
  // Protection and lifecycle calls name this instance; only the metadata service knows it.
  try {
    return await new ImdsClient({ endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT }).instanceId();
  } catch (err) {
    throw new ConfigError('SPOT_WORKER_ASG_NAME is set but the instance id could not be read from the metadata service '
      + `(${(err as Error).message}): run on EC2, or set SPOT_WORKER_INSTANCE_ID`);
  }
}

/**
 * What a worker that cannot start needs to give up on its instance (core/instance-health.ts),
 * built from the contract's values as read, valid or not: a rejected configuration still names
 * its group and instance (the boot script writes them). Undefined when they are unknown (off an
 * Auto Scaling group). `close` releases the clients.
 */
export async function createGiveUpParts(
  values: RuntimeEnvValues, logger: Logger, options: AwsAdapterOptions = {},
): Promise<(GiveUpParts & { close(): void }) | undefined> {
  const env = options.env ?? process.env;
  const groupName = values.SPOT_WORKER_ASG_NAME;
  if (!groupName) return undefined;
  const instanceId = await resolveInstanceId(values.SPOT_WORKER_INSTANCE_ID, groupName, env).catch(() => undefined);
  if (!instanceId) return undefined;
  const clients = options.clients ?? createAwsClients(env);
  const metrics = createMetricsSink({
    metrics: values.SPOT_WORKER_METRICS, metricsNamespace: values.SPOT_WORKER_METRICS_NAMESPACE, fleetName: values.SPOT_WORKER_FLEET_NAME,
  }, clients, logger);
  const hookName = values.SPOT_WORKER_LAUNCH_HOOK_NAME;
  return {
    instance: new AutoScalingInstanceControl(clients.autoScaling, groupName, instanceId),
    metrics,
    launchHook: hookName ? { hookName, groupName, instanceId } : undefined,
    logger,
    close: () => destroyAwsClients(clients),
  };
}

/** The id IMDS reports, else (off EC2, or an endpoint that is not a URL) the host name: a stream name either way. */
async function instanceIdOrHostName(env: Record<string, string | undefined>): Promise<string> {
  try {
    return await new ImdsClient({ endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT }).instanceId();
  } catch {
    return os.hostname();
  }
}

/** Log lines on their way to CloudWatch Logs (cloudwatch-log-shipper.ts). */
export interface LogShipping {
  readonly group: string;
  readonly stream: string;
  write(line: string): void;
  /** Sends what is buffered now (never rejects). */
  flush(): Promise<void>;
  /** Sends what is left (at most `timeoutMs`) and releases the client; true when all was sent. */
  close(timeoutMs: number): Promise<boolean>;
}

/**
 * Starts shipping log lines when `SPOT_WORKER_LOG_GROUP` is set: to the stream `<instance id>/worker`
 * (the id as configured, else from IMDS, else the host name off EC2). Undefined without a group.
 */
export async function startLogShipping(
  values: RuntimeEnvValues, options: AwsAdapterOptions & { shipper?: LogShipperOptions } = {},
): Promise<LogShipping | undefined> {
  const group = values.SPOT_WORKER_LOG_GROUP;
  if (!group) return undefined;
  const env = options.env ?? process.env;
  const instanceId = values.SPOT_WORKER_INSTANCE_ID ?? await instanceIdOrHostName(env);
  const client = createCloudWatchLogsClient();
  const shipper = new CloudWatchLogShipper(client, group, `${instanceId}/worker`, options.shipper);
  return {
    group,
    stream: shipper.stream,
    write: (line) => shipper.write(line),
    flush: () => shipper.flush(),
    close: async (timeoutMs) => {
      try {
        return await shipper.close(timeoutMs);
      } finally {
        client.destroy();
      }
    },
  };
}

export async function createAwsAdapters(config: RunConfig, logger: Logger, options: AwsAdapterOptions = {}): Promise<AwsAdapters> {
  const env = options.env ?? process.env;
  const clients = options.clients ?? createAwsClients(env, DEFAULT_AWS_TIMEOUTS, s3ConnectionsFor(config.concurrency, config.maxConcurrency));
  const metrics = createMetricsSink(config, clients, logger);
  const instanceId = await resolveInstanceId(config.instanceId, config.autoScalingGroupName, env);
  const instance = config.autoScalingGroupName && instanceId
    ? new AutoScalingInstanceControl(clients.autoScaling, config.autoScalingGroupName, instanceId)
    : undefined;
  const lifecycleAction = config.lifecycleHookName && config.autoScalingGroupName && instanceId
    ? { hookName: config.lifecycleHookName, groupName: config.autoScalingGroupName, instanceId }
    : undefined;
  const launchHook = config.launchHookName && config.autoScalingGroupName && instanceId
    ? { hookName: config.launchHookName, groupName: config.autoScalingGroupName, instanceId }
    : undefined;
  const interruptions = config.imdsPollSeconds > 0
    ? ImdsInterruptionWatcher.fromEnvironment(env as NodeJS.ProcessEnv, logger.child({ component: 'imds' }))
    : undefined;

  return {
    queue: new SqsWorkQueue(clients.sqs, config.queueUrl, config.deadLetterQueueUrl, clients.timeouts),
    store: new S3ObjectStore(clients.s3),
    metrics,
    instance,
    lifecycleAction,
    launchHook,
    interruptions,
    instanceId,
    waitForTerminated: (timeoutMs) => waitForTerminatedState({
      client: new ImdsClient({ endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT }),
      timeoutMs,
      pollIntervalMs: Math.max(1, config.imdsPollSeconds) * 1000,
    }),
    close: () => destroyAwsClients(clients),
  };
}
