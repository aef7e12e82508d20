import { Aws, Duration, Names, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BacklogScaling } from './backlog-scaling';
import { RUNTIME_ENV } from './contract/runtime-env';
import { FLEET_DIMENSION, Metrics } from './contract/runtime-metrics';
import { GroupMetric } from './contract/scaling-plan';
import { FleetMetricFactory } from './fleet-metrics';
import { FleetMonitoring } from './fleet-monitoring';
import { QueueDrivenSpotWorkerFleetProps, ResolvedFleetProps, resolveFleetProps } from './fleet-props';
import {
  acknowledgeBucketNotificationsHandler, acknowledgeMixedInstancesGroup, acknowledgeNoAccessLogs,
  acknowledgeNoScalingNotifications, acknowledgeWakeDescribe, acknowledgeWorkerPolicyWildcards,
} from './nag-acknowledgements';
import { SourceConditionedQueueDestination } from './queue-notification';
import { resolveRuntimeBundle } from './runtime-bundle';
import { assertRuntimeAccepts, HANDLER_ENV, OWNED_ENV } from './runtime-env-check';
import { verifiedFolderAsset } from './verified-asset';
import { FleetWake, WAKE_QUIET_INTERVAL } from './wake/fleet-wake';
import { WorkerHandler } from './worker-handler';
import { WorkerLogs } from './worker-logs';
import { WorkerPermissions } from './worker-permissions';
import { BootDownload, renderWorkerBootScript } from './worker-user-data';

/** Name of the termination lifecycle hook; the runtime completes it once drained. */
export const DRAIN_LIFECYCLE_HOOK_NAME = 'spot-worker-drain';

/**
 * Name of the launching lifecycle hook: the runtime completes it (CONTINUE) once it is ready to
 * work, the boot script abandons it when a boot step fails, and the group abandons it on timeout.
 */
export const LAUNCH_LIFECYCLE_HOOK_NAME = 'spot-worker-launch';

/** The runtime's drain limit for SIGTERM and Spot notices (`SPOT_WORKER_DRAIN_TIMEOUT_SECONDS`: range and default). */
const RUNTIME_DRAIN = RUNTIME_ENV.SPOT_WORKER_DRAIN_TIMEOUT_SECONDS;

/**
 * S3 uploads → SQS → an Auto Scaling group of Graviton Spot instances that grows with the backlog
 * and shrinks to zero when idle; a worker runtime on each instance processes each object (JPEG → PDF
 * by default) and writes the result back under the output prefix.
 */
export class QueueDrivenSpotWorkerFleet extends Construct {
  /** The bucket uploads arrive in and outputs are written to. */
  public readonly bucket: s3.IBucket;
  /** The work queue fed by the bucket's ObjectCreated notifications. */
  public readonly queue: sqs.IQueue;
  /** Where failed messages go: permanent failures at once (with their reason), poison messages after `maxReceiveCount`. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The worker group. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The launch template of the workers. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The VPC the workers run in. */
  public readonly vpc: ec2.IVpc;
  /** The workers' security group (no inbound rule; outbound HTTPS only). */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The workers' CloudWatch Logs group: the runtime's JSON log lines (one stream per instance) and boot failures. */
  public readonly logGroup: logs.ILogGroup;
  /** The workers' instance role. */
  public readonly role: iam.IRole;
  /** The fleet's CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Fires when the dead-letter queue holds a message. */
  public readonly deadLetterQueueAlarm: cloudwatch.Alarm;
  /** Fires when the oldest message waited longer than `acceptableLatency`. */
  public readonly oldestMessageAlarm: cloudwatch.Alarm;
  /**
   * Fires when an instance was handed back to the group because its worker could not work: a
   * failed boot step, a configuration the runtime rejects, or too many starts in a short time.
   * Repeated firing means a broken deployment (runtime metric `InstancesMarkedUnhealthy`).
   */
  public readonly instancesMarkedUnhealthyAlarm: cloudwatch.Alarm;
  /** The scaling policies and their alarms. */
  public readonly scaling: BacklogScaling;
  /** The function that wakes the group from zero on the first upload (undefined with `wakeOnUpload: false`). */
  public readonly wakeFunction?: lambda.IFunction;
  /** The backlog-per-instance target: acceptableLatency ÷ expectedProcessingTime. */
  public readonly backlogPerInstanceTarget: number;
  /** The input prefix (`uploads/` by default). */
  public readonly inputPrefix: string;
  /** The output prefix (`processed/` by default). */
  public readonly outputPrefix: string;
  /** The namespace of the runtime's metrics. */
  public readonly metricsNamespace: string;
  /** The `Fleet` dimension of the runtime's metrics. */
  public readonly fleetName: string;

  private readonly metrics: FleetMetricFactory;

  constructor(scope: Construct, id: string, props: QueueDrivenSpotWorkerFleetProps = {}) {
    super(scope, id);
    const cfg = resolveFleetProps(props);
    this.inputPrefix = cfg.inputPrefix;
    this.outputPrefix = cfg.outputPrefix;
    this.metricsNamespace = cfg.metricsNamespace;
    this.backlogPerInstanceTarget = cfg.backlogPerInstanceTarget;
    this.fleetName = props.fleetName ?? Names.uniqueId(this);
    const runtimeEnvironment = validateRuntimeEnvironment(props.runtimeEnvironment ?? {});
    const bundleDir = resolveRuntimeBundle(props.runtimeBundlePath);

    this.bucket = props.bucket ?? this.createBucket(props);
    if (!props.bucket && !props.serverAccessLogsBucket) acknowledgeNoAccessLogs(this.bucket);

    this.deadLetterQueue = props.deadLetterQueue ?? new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: cfg.deadLetterRetentionPeriod,
    });
    this.queue = props.queue ?? new sqs.Queue(this, 'Queue', {
      // S3 cannot publish to a queue encrypted with the AWS-managed SQS KMS key; SSE-SQS works.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      receiveMessageWaitTime: Duration.seconds(20),
      visibilityTimeout: cfg.visibilityTimeout,
      retentionPeriod: cfg.queueRetentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: cfg.maxReceiveCount },
    });

    // One notification per suffix (S3 filters are case-sensitive and take a single suffix each).
    const destination = new SourceConditionedQueueDestination(this.queue, props.importedQueueKeyAllowsS3 ?? false);
    for (const suffix of cfg.inputSuffixes) {
      this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, { prefix: cfg.inputPrefix, suffix });
    }
    // Only an imported bucket leaves aws-cdk-lib's handler role (with its managed policy) in place.
    if (props.bucket) acknowledgeBucketNotificationsHandler(this);

    this.vpc = props.vpc ?? this.createIdleFreeVpc();
    const vpcSubnets = props.vpcSubnets ?? (props.vpc ? undefined : { subnetType: ec2.SubnetType.PUBLIC });

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Spot worker fleet: no inbound; outbound HTTPS to AWS APIs and package repositories',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3, SQS, Auto Scaling, CloudWatch and dnf repositories');
    this.securityGroup = securityGroup;

    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Spot worker fleet instances: read inputs, write outputs, consume the queue, publish metrics',
    });
    this.role = role;
    this.logGroup = new WorkerLogs(this, 'WorkerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
    }).logGroup;

    const runtimeBundle = verifiedFolderAsset(this, 'RuntimeBundle', bundleDir);
    const handler = (props.handler ?? WorkerHandler.imageToPdf()).bind(this);
    for (const key of Object.keys(handler.environment ?? {})) {
      if (!HANDLER_ENV.has(key)) throw new Error(`WorkerHandler set '${key}', which is not a handler variable of the runtime.`);
    }
    if (handler.asset && !/^[0-9a-f]{64}$/.test(handler.assetSha256 ?? '')) {
      throw new Error(
        'WorkerHandler: bind() returned an asset without assetSha256 (64 lowercase hex digits): the boot script checks the sha256 ' +
        'of every download before using it. Return the sha256 of the file the asset uploads (zip a folder yourself first).',
      );
    }

    const environment: Record<string, string> = {
      ...runtimeEnvironment,
      AWS_REGION: Aws.REGION,
      SPOT_WORKER_QUEUE_URL: this.queue.queueUrl,
      SPOT_WORKER_DLQ_URL: this.deadLetterQueue.queueUrl,
      SPOT_WORKER_BUCKET: this.bucket.bucketName,
      SPOT_WORKER_INPUT_PREFIX: cfg.inputPrefix,
      SPOT_WORKER_OUTPUT_PREFIX: cfg.outputPrefix,
      SPOT_WORKER_HANDLER: handler.kind,
      ...(handler.environment ?? {}),
      // Not rounded: a fraction of a second reaches the check below, which says what to change.
      SPOT_WORKER_IDLE_GRACE_SECONDS: String(cfg.idleGracePeriod.toSeconds({ integral: false })),
      SPOT_WORKER_IDLE_RELEASE_SECONDS: String(cfg.idleReleaseAfter.toSeconds({ integral: false })),
      SPOT_WORKER_IDLE_RELEASE_EARLY: String(cfg.idleReleaseEarly),
      SPOT_WORKER_LIFECYCLE_HEARTBEAT_SECONDS: String(cfg.drainTimeout.toSeconds()),
      SPOT_WORKER_METRICS_NAMESPACE: cfg.metricsNamespace,
      SPOT_WORKER_FLEET_NAME: this.fleetName,
      // Whole seconds, rounded up: the runtime derives its default job timeout from it.
      SPOT_WORKER_EXPECTED_PROCESSING_SECONDS: String(Math.max(1, Math.ceil(cfg.expectedProcessingTime.toMilliseconds() / 1000))),
      SPOT_WORKER_LAUNCH_HOOK_NAME: LAUNCH_LIFECYCLE_HOOK_NAME,
      SPOT_WORKER_LOG_GROUP: this.logGroup.logGroupName,
    };
    if (props.concurrency !== undefined) environment.SPOT_WORKER_CONCURRENCY = String(props.concurrency);
    const stopTimeoutSeconds = Math.max(cfg.drainTimeout.toSeconds(), runtimeDrainSeconds(runtimeEnvironment)) + 30;
    assertRuntimeAccepts(environment, { SPOT_WORKER_LIFECYCLE_HOOK_NAME: DRAIN_LIFECYCLE_HOOK_NAME });

    const download = (asset: s3_assets.Asset, sha256: string, fileName?: string): BootDownload =>
      ({ bucket: asset.s3BucketName, key: asset.s3ObjectKey, sha256, fileName });
    const bootScript = renderWorkerBootScript({
      region: Aws.REGION,
      // The asset bucket is the CDK bootstrap bucket of this account.
      assetBucketOwner: Aws.ACCOUNT_ID,
      runtimeBundle: download(runtimeBundle.asset, runtimeBundle.sha256),
      handlerFiles: handler.asset ? download(handler.asset, handler.assetSha256!, handler.assetFileName) : undefined,
      osPackages: handler.osPackages ?? [],
      environment,
      lifecycleHookName: DRAIN_LIFECYCLE_HOOK_NAME,
      launchHookName: LAUNCH_LIFECYCLE_HOOK_NAME,
      logGroupName: this.logGroup.logGroupName,
      failureMetric: {
        namespace: cfg.metricsNamespace,
        metricName: Metrics.INSTANCES_MARKED_UNHEALTHY,
        dimensions: { [FLEET_DIMENSION]: this.fleetName },
      },
      // The runtime may use its whole drain window (lifecycle or SIGTERM); systemd must not SIGKILL it before.
      stopTimeoutSeconds,
    });

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      userData: ec2.UserData.custom(bootScript),
      role,
      securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(cfg.rootVolumeSizeGiB, {
          encrypted: true,
          volumeType: ec2.EbsDeviceVolumeType.GP3,
          deleteOnTermination: true,
        }),
      }],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: this.vpc,
      vpcSubnets,
      minCapacity: cfg.minCapacity,
      maxCapacity: cfg.maxCapacity,
      capacityRebalance: true,
      notifications: props.scalingNotificationsTopic ? [{ topic: props.scalingNotificationsTopic }] : undefined,
      groupMetrics: [autoscaling.GroupMetrics.all()],
      defaultInstanceWarmup: cfg.instanceWarmup,
      updatePolicy: rollingReplacement(cfg),
      mixedInstancesPolicy: {
        launchTemplate: this.launchTemplate,
        instancesDistribution: {
          onDemandBaseCapacity: cfg.onDemandBaseCapacity,
          onDemandPercentageAboveBaseCapacity: cfg.onDemandPercentageAboveBaseCapacity,
          onDemandAllocationStrategy: autoscaling.OnDemandAllocationStrategy.LOWEST_PRICE,
          spotAllocationStrategy: autoscaling.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
        },
        launchTemplateOverrides: [{ instanceRequirements: instanceRequirements(cfg, props) }],
      },
    });
    acknowledgeMixedInstancesGroup(this.autoScalingGroup);
    if (!props.scalingNotificationsTopic) acknowledgeNoScalingNotifications(this.autoScalingGroup);
    this.autoScalingGroup.addLifecycleHook('DrainHook', {
      lifecycleHookName: DRAIN_LIFECYCLE_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: cfg.drainTimeout,
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });
    // In service only once the worker is ready: the runtime completes this hook with CONTINUE.
    // A boot that fails abandons it at once; one that hangs is abandoned at the timeout. Either
    // way the group terminates the instance and launches another.
    this.autoScalingGroup.addLifecycleHook('LaunchHook', {
      lifecycleHookName: LAUNCH_LIFECYCLE_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_LAUNCHING,
      heartbeatTimeout: cfg.launchTimeout,
      defaultResult: autoscaling.DefaultResult.ABANDON,
    });

    const permissions = new WorkerPermissions(this, 'WorkerPermissions', {
      role,
      bucket: this.bucket,
      inputPrefix: cfg.inputPrefix,
      outputPrefix: cfg.outputPrefix,
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      autoScalingGroupName: this.autoScalingGroup.autoScalingGroupName,
      metricsNamespace: cfg.metricsNamespace,
      assets: handler.asset ? [runtimeBundle.asset, handler.asset] : [runtimeBundle.asset],
      logGroupArn: this.logGroup.logGroupArn,
    });
    acknowledgeWorkerPolicyWildcards(permissions.policy, permissions.wildcards);

    this.scaling = new BacklogScaling(this, 'Scaling', {
      autoScalingGroup: this.autoScalingGroup,
      queue: this.queue,
      targetBacklogPerInstance: cfg.backlogPerInstanceTarget,
      instanceWarmup: cfg.instanceWarmup,
      scaleToZeroAfter: cfg.scaleToZeroAfter,
    });
    if (props.wakeOnUpload ?? true) {
      const wake = new FleetWake(this, 'Wake', {
        bucket: this.bucket,
        inputPrefix: cfg.inputPrefix,
        inputSuffixes: cfg.inputSuffixes,
        autoScalingGroupName: this.autoScalingGroup.autoScalingGroupName,
        quietInterval: WAKE_QUIET_INTERVAL,
      });
      acknowledgeWakeDescribe(wake.policy, wake.groupArn);
      this.wakeFunction = wake.function;
    }

    this.metrics = new FleetMetricFactory({
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue,
      autoScalingGroupName: this.autoScalingGroup.autoScalingGroupName,
      namespace: cfg.metricsNamespace,
      fleetName: this.fleetName,
    });
    const monitoring = new FleetMonitoring(this, 'Monitoring', {
      metrics: this.metrics,
      acceptableLatency: cfg.acceptableLatency,
      backlogPerInstanceTarget: cfg.backlogPerInstanceTarget,
      dashboardName: props.dashboardName,
      logGroup: this.logGroup,
    });
    this.dashboard = monitoring.dashboard;
    this.deadLetterQueueAlarm = monitoring.deadLetterQueueAlarm;
    this.oldestMessageAlarm = monitoring.oldestMessageAlarm;
    this.instancesMarkedUnhealthyAlarm = monitoring.instancesMarkedUnhealthyAlarm;
  }

  /** Lets `grantee` upload objects under the input prefix (which triggers processing). */
  public grantUpload(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${this.inputPrefix}*`)] });
  }

  /** Lets `grantee` read the outputs under the output prefix. */
  public grantReadOutputs(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(`${this.outputPrefix}*`)] });
  }

  /** Messages waiting in the work queue (maximum per minute). */
  public metricMessagesVisible(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.messagesVisible(options);
  }

  /** Messages being processed (received, not yet deleted). */
  public metricMessagesInFlight(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.messagesInFlight(options);
  }

  /** Backlog: waiting plus in-flight messages. */
  public metricBacklog(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.metrics.backlog(options);
  }

  /** The scaling metric: backlog ÷ in-service instances (0 instances count as 1). */
  public metricBacklogPerInstance(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.metrics.backlogPerInstance(options);
  }

  /** Instances in service. */
  public metricInServiceInstances(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.groupMetric(GroupMetric.IN_SERVICE, options);
  }

  /** Age of the oldest waiting message, in seconds. */
  public metricAgeOfOldestMessage(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.ageOfOldestMessage(options);
  }

  /** Messages in the dead-letter queue. */
  public metricDeadLetterQueueDepth(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.deadLetterQueueDepth(options);
  }

  /** Objects processed and written (runtime metric `ImagesProcessed`, Sum). */
  public metricImagesProcessed(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.runtimeMetric(Metrics.IMAGES_PROCESSED, 'Sum', options);
  }

  /** Failed jobs of every kind (runtime metric `JobFailures`, summed over `Kind`). */
  public metricJobFailures(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.metrics.jobFailures(options);
  }

  /** Instances whose worker could not work and handed them back to the group (runtime metric `InstancesMarkedUnhealthy`, Sum). */
  public metricInstancesMarkedUnhealthy(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.runtimeMetric(Metrics.INSTANCES_MARKED_UNHEALTHY, 'Sum', options);
  }

  /** Processing time per job in milliseconds (runtime metric `ProcessingTime`, p90 by default). */
  public metricProcessingTime(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metrics.runtimeMetric(Metrics.PROCESSING_TIME, 'p90', options);
  }

  /** Percentage of in-service instance time with at least one job in flight (from `BusyTime`). */
  public metricUtilization(options?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.metrics.utilization(options);
  }

  /**
   * The construct's own bucket. Its notifications handler (aws-cdk-lib's deploy-time Lambda) gets a
   * role that may only put this bucket's notification configuration: no AWS managed policy, and no
   * log permissions (the handler's errors reach the CloudFormation stack events as its reason).
   */
  private createBucket(props: QueueDrivenSpotWorkerFleetProps): s3.IBucket {
    const notificationsRole = new iam.Role(this, 'NotificationsHandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Deploy-time S3 notifications handler: puts the fleet bucket\'s notification configuration, nothing else',
    });
    const bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.bucketVersioning ?? false,
      // The runtime uploads large outputs in parts; parts of an upload that never completed cost storage until aborted.
      lifecycleRules: [{ id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? 'access-logs/' : undefined,
      // Immutable for aws-cdk-lib, which would otherwise attach AWSLambdaBasicExecutionRole to it.
      notificationsHandlerRole: notificationsRole.withoutPolicyUpdates(),
    });
    notificationsRole.addToPolicy(new iam.PolicyStatement({
      sid: 'PutThisBucketsNotificationConfiguration',
      actions: ['s3:PutBucketNotification'],
      resources: [bucket.bucketArn],
    }));
    return bucket;
  }

  /** The default VPC: public subnets only, so an idle fleet costs nothing (see docs/networking.md). */
  private createIdleFreeVpc(): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 3,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      // Free: keeps S3 traffic (inputs, outputs, the bundle) on the AWS network.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', { retention: logs.RetentionDays.ONE_MONTH });
    // Rejected traffic only: the security-relevant part, and no cost while idle.
    vpc.addFlowLog('RejectedTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    return vpc;
  }
}

function instanceRequirements(
  cfg: ResolvedFleetProps,
  props: QueueDrivenSpotWorkerFleetProps,
): autoscaling.CfnAutoScalingGroup.InstanceRequirementsProperty {
  return {
    cpuManufacturers: ['amazon-web-services'],
    instanceGenerations: ['current'],
    vCpuCount: { min: cfg.minVcpus, max: cfg.maxVcpus },
    memoryMiB: { min: cfg.minMemoryMiB, max: cfg.maxMemoryMiB },
    burstablePerformance: cfg.allowBurstableInstances ? 'included' : 'excluded',
    bareMetal: 'excluded',
    acceleratorCount: { max: 0 },
    allowedInstanceTypes: props.allowedInstanceTypes,
    excludedInstanceTypes: props.excludedInstanceTypes,
  };
}

/**
 * A new launch template (runtime, handler, AMI, configuration) replaces the running instances in
 * batches of a quarter of `maxCapacity`. CloudFormation terminates an old batch through the group,
 * so each old worker drains through the termination hook; the pause between batches is the launch
 * timeout, the time a new instance has to complete its launching hook. With no instances there is
 * nothing to replace and the update does nothing. In service during the update: at least the
 * group's `minCapacity` (capped below `maxCapacity`, as CloudFormation requires), otherwise the
 * running instances minus one batch. See docs/construct.md.
 */
function rollingReplacement(cfg: ResolvedFleetProps): autoscaling.UpdatePolicy {
  return autoscaling.UpdatePolicy.rollingUpdate({
    maxBatchSize: rollingBatchSize(cfg.maxCapacity),
    minInstancesInService: Math.min(cfg.minCapacity, cfg.maxCapacity - 1),
    pauseTime: Duration.seconds(Math.min(cfg.launchTimeout.toSeconds(), MAX_ROLLING_PAUSE_SECONDS)),
    waitOnResourceSignals: false,
  });
}

/** CloudFormation's PauseTime is at most one hour. */
const MAX_ROLLING_PAUSE_SECONDS = 3600;

function rollingBatchSize(maxCapacity: number): number {
  return Math.max(1, Math.ceil(maxCapacity / 4));
}

function runtimeDrainSeconds(env: { [name: string]: string }): number {
  const value = env.SPOT_WORKER_DRAIN_TIMEOUT_SECONDS;
  if (value === undefined || Token.isUnresolved(value)) return RUNTIME_DRAIN.default;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < RUNTIME_DRAIN.min || seconds > RUNTIME_DRAIN.max) {
    throw new Error(`runtimeEnvironment SPOT_WORKER_DRAIN_TIMEOUT_SECONDS must be an integer from ${RUNTIME_DRAIN.min} to ${RUNTIME_DRAIN.max}, got '${value}'.`);
  }
  return seconds;
}

function validateRuntimeEnvironment(env: { [name: string]: string }): Record<string, string> {
  for (const [key, value] of Object.entries(env)) {
    if (OWNED_ENV.has(key)) {
      throw new Error(`runtimeEnvironment must not set ${key}: the construct sets it from its props. Use the matching prop instead.`);
    }
    if (!/^SPOT_WORKER_[A-Z0-9_]+$/.test(key)) {
      throw new Error(`runtimeEnvironment key '${key}' is not a runtime variable: keys start with SPOT_WORKER_ (see docs/architecture.md).`);
    }
    if (!Token.isUnresolved(value) && /[\r\n\0]/.test(value)) {
      throw new Error(`runtimeEnvironment ${key} contains a line break; values must be single-line.`);
    }
  }
  return env;
}
