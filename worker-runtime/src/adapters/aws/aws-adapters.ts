/**
 * Builds the AWS implementations of the ports from the runtime configuration: what
 * `spot-worker run` hands to the Worker. Local mode has its own factory over files.
 */
import { AutoScalingInstanceControl } from './auto-scaling-instance-control';
import { AwsClients, createAwsClients, destroyAwsClients } from './aws-clients';
import { CloudWatchMetricsSink } from './cloudwatch-metrics-sink';
import { ImdsClient } from './imds-client';
import { ImdsInterruptionWatcher } from './imds-watcher';
import { S3ObjectStore } from './s3-object-store';
import { SqsWorkQueue } from './sqs-work-queue';
import { FLEET_DIMENSION } from '../../contract/runtime-metrics';
import type { RunConfig } from '../../core/config';
import { ConfigError } from '../../core/errors';
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
  /** The IMDS watcher, unless `SPOT_WORKER_IMDS_POLL_SECONDS=0`. */
  readonly interruptions?: InterruptionSource;
  readonly instanceId?: string;
  /** Releases the SDK clients' sockets. */
  close(): void;
}

export interface AwsAdapterOptions {
  readonly env?: Record<string, string | undefined>;
  /** Pre-built clients (tests). @default createAwsClients(env) */
  readonly clients?: AwsClients;
}

export async function createAwsAdapters(config: RunConfig, logger: Logger, options: AwsAdapterOptions = {}): Promise<AwsAdapters> {
  const env = options.env ?? process.env;
  const clients = options.clients ?? createAwsClients(env);
  const dims = { [FLEET_DIMENSION]: config.fleetName };
  const metrics: MetricsSink = config.metrics === 'cloudwatch'
    ? new CloudWatchMetricsSink(clients.cloudWatch, config.metricsNamespace, dims)
    : config.metrics === 'log' ? new LogMetricsSink(logger.child({ component: 'metrics' }), dims) : new NoopMetricsSink();

  let instanceId = config.instanceId;
  if (!instanceId && config.autoScalingGroupName) {
    // Protection and lifecycle calls name this instance; only the metadata service knows it.
    try {
      instanceId = await new ImdsClient({ endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT }).instanceId();
    } catch (err) {
      throw new ConfigError('SPOT_WORKER_ASG_NAME is set but the instance id could not be read from the metadata service '
        + `(${(err as Error).message}): run on EC2, or set SPOT_WORKER_INSTANCE_ID`);
    }
  }
  const instance = config.autoScalingGroupName && instanceId
    ? new AutoScalingInstanceControl(clients.autoScaling, config.autoScalingGroupName, instanceId)
    : undefined;
  const lifecycleAction = config.lifecycleHookName && config.autoScalingGroupName && instanceId
    ? { hookName: config.lifecycleHookName, groupName: config.autoScalingGroupName, instanceId }
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
    interruptions,
    instanceId,
    close: () => destroyAwsClients(clients),
  };
}
