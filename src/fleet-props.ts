import { Duration, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RUNTIME_ENV } from './contract/runtime-env';
import { DEFAULT_METRICS_NAMESPACE } from './contract/runtime-metrics';
import { backlogPerInstanceTarget as planTarget, FLEET_SCALING_DEFAULTS } from './contract/scaling-plan';
import { instanceTypeMismatch } from './instance-type-requirements';
import { WorkerHandler } from './worker-handler';

/**
 * Properties of a `QueueDrivenSpotWorkerFleet`.
 *
 * Every property is optional: the defaults give a secure fleet of Graviton Spot instances that
 * converts JPEGs uploaded under `uploads/` into PDFs under `processed/` and costs nothing while idle.
 */
export interface QueueDrivenSpotWorkerFleetProps {
  // ---- S3 ----

  /**
   * The bucket that receives uploads and the outputs. When you bring your own, the construct only
   * adds the ObjectCreated notification and the grants; its public access, encryption and TLS
   * settings stay yours.
   *
   * @default - a new bucket: public access blocked, TLS enforced, S3-managed encryption, ACLs disabled
   */
  readonly bucket?: s3.IBucket;

  /**
   * Key prefix of the objects to process. Only ObjectCreated events under it reach the queue.
   * Must be non-empty and must not overlap `outputPrefix`. It names a folder: a missing trailing
   * `/` is added (`'uploads'` becomes `'uploads/'`).
   *
   * @default 'uploads/'
   */
  readonly inputPrefix?: string;

  /**
   * Key prefix the outputs are written under: `<outputPrefix><key relative to inputPrefix><extension>`.
   * Must not overlap `inputPrefix`, otherwise outputs could re-trigger the notification. A missing
   * trailing `/` is added (`'processed'` becomes `'processed/'`).
   *
   * @default 'processed/'
   */
  readonly outputPrefix?: string;

  /**
   * Key suffixes that trigger processing. S3 filters are case-sensitive, so list every casing.
   *
   * @default ['.jpg', '.jpeg', '.JPG', '.JPEG']
   */
  readonly inputSuffixes?: string[];

  /**
   * Where the new bucket writes its server access logs. Ignored when you bring your own bucket.
   *
   * @default - no server access logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Keep every version of the new bucket's objects (an opt-in: each re-upload and each re-processed
   * output then stays billed until you delete the old versions). Ignored when you bring your own bucket.
   * @default false
   */
  readonly bucketVersioning?: boolean;

  // ---- SQS ----

  /**
   * The work queue. When you bring your own, also pass `deadLetterQueue`, configure the redrive on
   * your queue, and make sure its policy lets the bucket send (an imported queue's policy cannot be
   * changed by this construct).
   *
   * @default - a new SSE-SQS, TLS-only queue with long polling and a redrive to `deadLetterQueue`
   */
  readonly queue?: sqs.IQueue;

  /**
   * The dead-letter queue the runtime sends permanent failures to. Required when `queue` is given,
   * and only allowed then.
   *
   * @default - a new SSE-SQS, TLS-only queue retaining messages for 14 days
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Set when your queue's KMS key is imported (its policy cannot be changed here) and you have
   * added to that key's policy a statement allowing `s3.amazonaws.com` `kms:GenerateDataKey` and
   * `kms:Decrypt` for your bucket: S3 needs both to deliver the notification. Without it an
   * imported key is rejected at synth, since the notification would fail at deploy.
   * @default false
   */
  readonly importedQueueKeyAllowsS3?: boolean;

  /**
   * Receives of a message before SQS moves it to the dead-letter queue. Spot interruptions
   * raise the receive count of in-flight messages, so keep some headroom. At least 5.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the work queue keeps a message. Must be shorter than the dead-letter queue's 14 days
   * (SQS keeps a message's original enqueue time when it is moved).
   *
   * @default Duration.days(4)
   */
  readonly queueRetentionPeriod?: Duration;

  /**
   * The work queue's visibility timeout. The runtime extends the visibility of long jobs itself;
   * this is the window after which a message of a crashed worker becomes visible again.
   *
   * @default - six times `expectedProcessingTime`, at least 1 minute, at most 12 hours
   */
  readonly visibilityTimeout?: Duration;

  // ---- Scaling ----

  /**
   * The expected processing time of one message on one instance (with the runtime's concurrency).
   * Used for the scaling target, the visibility timeout, and the runtime's default job timeout
   * (`SPOT_WORKER_EXPECTED_PROCESSING_SECONDS`, rounded up; the timeout is 20 times it, at least 300 s).
   *
   * @default Duration.seconds(10)
   */
  readonly expectedProcessingTime?: Duration;

  /**
   * The longest acceptable wait for a message. The backlog-per-instance target is
   * `acceptableLatency ÷ expectedProcessingTime`; the age-of-oldest-message alarm fires above it.
   *
   * @default Duration.minutes(5)
   */
  readonly acceptableLatency?: Duration;

  /**
   * Minimum number of instances. Keep 0 to pay nothing while idle.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * Maximum number of instances.
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * Seconds a new instance needs before its metrics count (boot, Node.js install, bundle download).
   *
   * @default Duration.minutes(3)
   */
  readonly instanceWarmup?: Duration;

  /**
   * How long the queue must stay empty (nothing visible, nothing in flight) before the group is set
   * to 0 instances. Target tracking alone may also scale in; this is the explicit path to zero.
   *
   * @default Duration.minutes(15)
   */
  readonly scaleToZeroAfter?: Duration;

  /**
   * Wake a fleet at zero on the first upload, without waiting for CloudWatch: the bucket's
   * `Object Created` events (S3 → EventBridge) for keys under `inputPrefix` with an input suffix
   * invoke a small function that sets the group's desired capacity from 0 to 1 (and does nothing
   * when the group already runs). It turns on EventBridge notifications on the bucket (also on a
   * bucket you bring) and reserves one unit of the account's Lambda concurrency. The metric-driven
   * wake alarm stays as the fallback, and is the only wake for messages that reach a queue you
   * bring some other way. See docs/construct.md.
   *
   * @default true
   */
  readonly wakeOnUpload?: boolean;

  /**
   * Heartbeat timeout of the termination lifecycle hook: the time a draining worker gets to finish
   * its jobs before the instance terminates (the runtime completes the hook earlier when done).
   *
   * @default Duration.minutes(5)
   */
  readonly drainTimeout?: Duration;

  /**
   * Heartbeat timeout of the launching lifecycle hook: how long a new instance may take from launch
   * until its worker is ready (it then completes the hook and the group puts the instance in
   * service). An instance that is not ready by then is abandoned and replaced; a boot step that
   * fails abandons it at once. Between 30 seconds and 2 hours, whole seconds.
   *
   * @default - twice `instanceWarmup`, at least 5 minutes and at most 2 hours (6 minutes with the default warm-up)
   */
  readonly launchTimeout?: Duration;

  // ---- Fleet ----

  /**
   * The VPC. The instances only need outbound HTTPS to S3, SQS, Auto Scaling and CloudWatch.
   *
   * @default - a new VPC with public subnets only (no NAT gateway), an S3 gateway endpoint and flow logs; see docs/networking.md
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where the instances go. Private subnets need a NAT gateway or interface endpoints.
   *
   * @default - public subnets of the default VPC; the VPC's default selection when you bring one
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Instances launched On-Demand before any Spot instance.
   *
   * @default 0
   */
  readonly onDemandBaseCapacity?: number;

  /**
   * Percentage of On-Demand instances above `onDemandBaseCapacity` (0 = all Spot).
   *
   * @default 0
   */
  readonly onDemandPercentageAboveBaseCapacity?: number;

  /**
   * Minimum vCPUs of an instance type (attribute-based selection, Graviton only).
   *
   * @default 2
   */
  readonly minVcpus?: number;

  /**
   * Maximum vCPUs of an instance type. The runtime is one Node.js process per instance: with the
   * default handler one instance converts a few hundred images per second on one core, and its
   * adaptive concurrency covers the storage waits, so vCPUs beyond 2 mostly idle while Spot
   * prices them (docs/benchmarks.md, section 3). Raise it for a handler that uses several cores
   * (a `command` handler, worker threads) or to widen the Spot pools.
   *
   * @default 2
   */
  readonly maxVcpus?: number;

  /**
   * Minimum memory of an instance type in MiB.
   *
   * @default 4096
   */
  readonly minMemoryMiB?: number;

  /**
   * Maximum memory of an instance type in MiB.
   *
   * @default 32768
   */
  readonly maxMemoryMiB?: number;

  /**
   * Only these instance types (wildcards allowed, e.g. `c7g.*`). Cannot be combined with
   * `excludedInstanceTypes`.
   *
   * @default - every current-generation Graviton type matching the vCPU and memory ranges
   */
  readonly allowedInstanceTypes?: string[];

  /**
   * Never these instance types (wildcards allowed, e.g. `a1.*`). Cannot be combined with
   * `allowedInstanceTypes`.
   *
   * @default - none
   */
  readonly excludedInstanceTypes?: string[];

  /**
   * Allow burstable (t4g) instance types. Off by default: sustained conversions would spend
   * CPU credits and, in unlimited mode, cost extra.
   *
   * @default false
   */
  readonly allowBurstableInstances?: boolean;

  /**
   * Size of the encrypted gp3 root volume in GiB.
   *
   * @default 16
   */
  readonly rootVolumeSizeGiB?: number;

  // ---- Worker ----

  /**
   * What the workers do with each object.
   *
   * @default WorkerHandler.imageToPdf()
   */
  readonly handler?: WorkerHandler;

  /**
   * Jobs in flight per instance, fixed: an integer from 1 to 256. Leave it unset for the runtime's
   * adaptive concurrency, which starts at the vCPU count and adds job slots while the CPU has room,
   * so that jobs waiting for S3 do not leave it idle (docs/runtime.md).
   *
   * @default - adaptive (the runtime's `SPOT_WORKER_CONCURRENCY` unset)
   */
  readonly concurrency?: number;

  /**
   * How long an idle worker keeps its scale-in protection before clearing it: whole seconds,
   * from 0 to 1 day.
   *
   * @default Duration.seconds(60)
   */
  readonly idleGracePeriod?: Duration;

  /**
   * How long an idle worker waits, with the queue empty (no message visible or in flight), before it
   * ends its own instance (TerminateInstanceInAutoScalingGroup, decrementing the desired capacity,
   * never below `minCapacity`). The default is about one boot on EC2 (launch to the worker polling,
   * assumed: 40 s + 50 s): keeping an instance idle longer than a relaunch costs more than the relaunch
   * (a ski-rental rule, at most twice the least instance time; docs/benchmarks.md). Raise it when your
   * latency goal cannot absorb a boot after each gap longer than this (and see `idleReleaseEarly`,
   * which lets a worker on sparse traffic leave sooner); `Duration.seconds(0)`
   * disables the self-release (the scale-to-zero alarm still applies). Whole seconds, at most 1 day.
   *
   * @default Duration.seconds(90)
   */
  readonly idleReleaseAfter?: Duration;

  /**
   * Whether an idle worker may leave before `idleReleaseAfter`: when the messages its instance took
   * arrived on average further apart than `idleReleaseAfter` (or it took only one, after a quiet
   * spell, or none: an instance that finds the queue empty was launched for work already done, say
   * by a queue metric that arrived late), it ends its instance as soon as it is idle with the queue
   * empty (5 s). On such sparse
   * traffic waiting is the dearer choice: the next message comes later than a relaunch would take
   * anyway, so the wait is billed idle time (docs/benchmarks.md, section 4). The price is latency:
   * after each such gap the next image waits for a wake and a boot. Set `false` when your latency
   * goal cannot absorb that and an instance should always stay `idleReleaseAfter` after its last job.
   *
   * @default true
   */
  readonly idleReleaseEarly?: boolean;

  /**
   * Extra `SPOT_WORKER_*` environment variables for the runtime (e.g. `SPOT_WORKER_MAX_IMAGE_BYTES`).
   * Variables the construct sets itself cannot be overridden here.
   *
   * @default - none
   */
  readonly runtimeEnvironment?: { [name: string]: string };

  /**
   * Local folder of the arm64 worker-runtime bundle (with `spot-worker.js`).
   *
   * @default - `worker-runtime/dist/bundle-arm64`, inside this package (built from the `cdk-spot-worker-fleet-runtime` package)
   */
  readonly runtimeBundlePath?: string;

  // ---- Observability ----

  /**
   * CloudWatch namespace of the runtime's metrics.
   *
   * @default 'SpotWorkerFleet'
   */
  readonly metricsNamespace?: string;

  /**
   * Value of the `Fleet` dimension of the runtime's metrics.
   *
   * @default - the construct's unique id
   */
  readonly fleetName?: string;

  /**
   * SNS topic that receives every scaling event of the group (launch, terminate, and their errors).
   *
   * @default - no notifications
   */
  readonly scalingNotificationsTopic?: sns.ITopic;

  /**
   * How long the workers' CloudWatch Logs group keeps their log lines (the runtime's JSON logs, one
   * stream per instance, and boot failures). The group itself is kept when the stack is deleted,
   * so the lines expire by this retention.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * KMS key that encrypts the workers' log group. A key defined in your app gets the key-policy
   * statement CloudWatch Logs needs (`logs.<region>.amazonaws.com`, for this account's log groups);
   * an imported key's policy must already allow it, or the log group cannot be created.
   *
   * @default - encrypted by CloudWatch Logs with its own key
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Name of the CloudWatch dashboard.
   *
   * @default - generated by CloudFormation
   */
  readonly dashboardName?: string;
}

/** The props with every default applied. */
export interface ResolvedFleetProps {
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly inputSuffixes: string[];
  readonly maxReceiveCount: number;
  readonly queueRetentionPeriod: Duration;
  readonly deadLetterRetentionPeriod: Duration;
  readonly visibilityTimeout: Duration;
  readonly expectedProcessingTime: Duration;
  readonly acceptableLatency: Duration;
  readonly backlogPerInstanceTarget: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly instanceWarmup: Duration;
  readonly scaleToZeroAfter: Duration;
  readonly drainTimeout: Duration;
  readonly launchTimeout: Duration;
  readonly onDemandBaseCapacity: number;
  readonly onDemandPercentageAboveBaseCapacity: number;
  readonly minVcpus: number;
  readonly maxVcpus: number;
  readonly minMemoryMiB: number;
  readonly maxMemoryMiB: number;
  readonly allowBurstableInstances: boolean;
  readonly rootVolumeSizeGiB: number;
  readonly idleGracePeriod: Duration;
  readonly idleReleaseAfter: Duration;
  readonly idleReleaseEarly: boolean;
  readonly metricsNamespace: string;
}

export const DEFAULT_INPUT_SUFFIXES = ['.jpg', '.jpeg', '.JPG', '.JPEG'];
export const DEAD_LETTER_RETENTION = Duration.days(14);
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/** Lifecycle hooks: heartbeat timeouts from 30 s to 7200 s. */
const MAX_HOOK_SECONDS = 7200;
/** A derived launch timeout leaves room for a slow package mirror even with a short warm-up. */
const MIN_DERIVED_LAUNCH_SECONDS = 300;
/** CloudWatch: evaluation periods × period may not exceed one day for periods under an hour. */
const MAX_ALARM_EVALUATION_SECONDS = 24 * 60 * 60;

/** Pairs [longer, shorter] where `longer` ends with `shorter`: S3 treats them as overlapping filters. */
export function overlappingSuffixes(suffixes: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const unique = [...new Set(suffixes)].filter((s) => s !== '');
  for (const a of unique) {
    for (const b of unique) {
      if (a !== b && a.endsWith(b)) out.push([a, b]);
    }
  }
  return out;
}

const NUMBER_PROPS = [
  'maxReceiveCount', 'minCapacity', 'maxCapacity', 'onDemandBaseCapacity', 'onDemandPercentageAboveBaseCapacity',
  'minVcpus', 'maxVcpus', 'minMemoryMiB', 'maxMemoryMiB', 'rootVolumeSizeGiB', 'concurrency',
] as const;
const DURATION_PROPS = [
  'queueRetentionPeriod', 'visibilityTimeout', 'expectedProcessingTime', 'acceptableLatency', 'instanceWarmup',
  'scaleToZeroAfter', 'drainTimeout', 'idleGracePeriod', 'launchTimeout', 'idleReleaseAfter',
] as const;

/**
 * The construct computes with these values at synth time (targets, alarm periods, overlap checks);
 * a token would turn into a meaningless number such as -1.888e+289, so it is rejected by name.
 */
function rejectTokens(props: QueueDrivenSpotWorkerFleetProps): void {
  const errors: string[] = [];
  for (const name of NUMBER_PROPS) {
    const v = props[name];
    if (v !== undefined && Token.isUnresolved(v)) {
      errors.push(`${name} must be a literal number, not a token (a CloudFormation parameter or reference): the construct computes with it at synth time.`);
    }
  }
  for (const name of DURATION_PROPS) {
    const v = props[name];
    if (v !== undefined && v.isUnresolved()) {
      errors.push(`${name} must be a literal Duration, not a token (a CloudFormation parameter or reference): the construct computes with it at synth time.`);
    }
  }
  if (errors.length > 0) throw new Error(`QueueDrivenSpotWorkerFleet: invalid props:\n- ${errors.join('\n- ')}`);
}

/**
 * A prefix names a folder: the runtime requires the trailing '/', and without it 'uploads' would
 * also match 'uploads-old/...'. Tokens and '' are left alone (both are rejected below).
 */
function asFolder(prefix: string): string {
  return Token.isUnresolved(prefix) || prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/**
 * Applies the defaults and rejects inconsistent props with a message that says what to change.
 * Tokens are not allowed in values the construct computes with (prefixes, durations, capacities).
 */
export function resolveFleetProps(props: QueueDrivenSpotWorkerFleetProps): ResolvedFleetProps {
  rejectTokens(props);
  const errors: string[] = [];
  const inputPrefix = asFolder(props.inputPrefix ?? RUNTIME_ENV.SPOT_WORKER_INPUT_PREFIX.default);
  const outputPrefix = asFolder(props.outputPrefix ?? RUNTIME_ENV.SPOT_WORKER_OUTPUT_PREFIX.default);
  const inputSuffixes = props.inputSuffixes ?? DEFAULT_INPUT_SUFFIXES;

  for (const [name, v] of [['inputPrefix', inputPrefix], ['outputPrefix', outputPrefix], ...inputSuffixes.map((x) => ['inputSuffixes', x])]) {
    if (Token.isUnresolved(v)) {
      throw new Error(`QueueDrivenSpotWorkerFleet: ${name} must be a literal string, not a token: the construct checks it for overlaps at synth time.`);
    }
  }
  if (inputPrefix === '') {
    errors.push("inputPrefix must not be empty: outputs would match the notification. Use a folder such as 'uploads/'.");
  }
  if (outputPrefix === '') {
    errors.push("outputPrefix must not be empty: outputs would land next to the inputs. Use a folder such as 'processed/'.");
  }
  for (const [name, p] of [['inputPrefix', inputPrefix], ['outputPrefix', outputPrefix]] as const) {
    if (p.startsWith('/')) errors.push(`${name} '${p}' starts with '/': S3 keys have no leading slash. Use '${p.replace(/^\/+/, '')}'.`);
  }
  if (inputPrefix !== '' && outputPrefix !== '' && (outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix))) {
    errors.push(
      `outputPrefix '${outputPrefix}' overlaps inputPrefix '${inputPrefix}': outputs could re-trigger the ObjectCreated notification ` +
      'and be processed again, forever. Choose disjoint prefixes, e.g. inputPrefix \'uploads/\' and outputPrefix \'processed/\'.',
    );
  }
  if (inputSuffixes.length === 0) errors.push("inputSuffixes must list at least one suffix, e.g. ['.jpg', '.JPG'].");
  if (inputSuffixes.some((s) => s === '')) errors.push('inputSuffixes must not contain an empty suffix: it would match every key, outputs included.');
  if (new Set(inputSuffixes).size !== inputSuffixes.length) errors.push(`inputSuffixes has duplicates: ${inputSuffixes.join(', ')}.`);
  for (const [a, b] of overlappingSuffixes(inputSuffixes)) {
    errors.push(
      `inputSuffixes '${a}' and '${b}' overlap ('${a}' ends with '${b}'): S3 rejects overlapping suffix filters for the same prefix ` +
      `and event. Keep only '${b}' (it matches both), or make them disjoint, e.g. '.jpg' and '.jpeg'.`,
    );
  }

  if (props.queue && !props.deadLetterQueue) {
    errors.push('queue is given without deadLetterQueue: pass the dead-letter queue your queue redrives to (the runtime sends permanent failures there).');
  }
  if (!props.queue && props.deadLetterQueue) {
    errors.push('deadLetterQueue is given without queue: pass your work queue too, or omit both to let the construct create them.');
  }

  const maxReceiveCount = props.maxReceiveCount ?? 5;
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 5) {
    errors.push(`maxReceiveCount is ${maxReceiveCount}: use an integer of at least 5, Spot interruptions raise the receive count of healthy messages.`);
  }

  const expectedProcessingTime = props.expectedProcessingTime ?? Duration.seconds(FLEET_SCALING_DEFAULTS.expectedProcessingSeconds);
  const acceptableLatency = props.acceptableLatency ?? Duration.seconds(FLEET_SCALING_DEFAULTS.acceptableLatencySeconds);
  const processingMs = expectedProcessingTime.toMilliseconds();
  const latencyMs = acceptableLatency.toMilliseconds();
  if (processingMs <= 0) errors.push('expectedProcessingTime must be greater than zero.');
  if (processingMs > latencyMs) {
    errors.push(
      `expectedProcessingTime (${expectedProcessingTime.toHumanString()}) exceeds acceptableLatency (${acceptableLatency.toHumanString()}): ` +
      'no backlog could ever be served in time. Raise acceptableLatency or lower expectedProcessingTime.',
    );
  }
  const backlogPerInstanceTarget = processingMs > 0 && processingMs <= latencyMs ? planTarget(latencyMs / 1000, processingMs / 1000) : 1;

  const queueRetentionPeriod = props.queueRetentionPeriod ?? Duration.days(4);
  if (queueRetentionPeriod.toSeconds() >= DEAD_LETTER_RETENTION.toSeconds()) {
    errors.push(
      `queueRetentionPeriod (${queueRetentionPeriod.toHumanString()}) must be shorter than the dead-letter queue's 14 days, ` +
      'or messages could expire before they are dead-lettered. Use at most 13 days.',
    );
  }
  if (queueRetentionPeriod.toSeconds() < 60) errors.push('queueRetentionPeriod must be at least 1 minute (SQS minimum).');

  const derivedVisibility = Math.min(MAX_VISIBILITY_SECONDS, Math.max(60, Math.ceil((processingMs * 6) / 1000)));
  const visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(derivedVisibility);
  const visibilitySeconds = visibilityTimeout.toSeconds();
  if (visibilitySeconds > MAX_VISIBILITY_SECONDS) errors.push('visibilityTimeout must be at most 12 hours (SQS maximum).');
  if (visibilitySeconds * 1000 < processingMs) {
    errors.push(
      `visibilityTimeout (${visibilityTimeout.toHumanString()}) is shorter than expectedProcessingTime (${expectedProcessingTime.toHumanString()}): ` +
      'messages would be delivered twice. Raise visibilityTimeout or omit it to derive it.',
    );
  }

  const minCapacity = props.minCapacity ?? FLEET_SCALING_DEFAULTS.minCapacity;
  const maxCapacity = props.maxCapacity ?? FLEET_SCALING_DEFAULTS.maxCapacity;
  if (!Number.isInteger(minCapacity) || minCapacity < 0) errors.push(`minCapacity must be an integer >= 0, got ${minCapacity}.`);
  if (!Number.isInteger(maxCapacity) || maxCapacity < 1) errors.push(`maxCapacity must be an integer >= 1, got ${maxCapacity}.`);
  if (minCapacity > maxCapacity) errors.push(`minCapacity (${minCapacity}) exceeds maxCapacity (${maxCapacity}).`);

  const onDemandBaseCapacity = props.onDemandBaseCapacity ?? 0;
  const onDemandPercentageAboveBaseCapacity = props.onDemandPercentageAboveBaseCapacity ?? 0;
  if (!Number.isInteger(onDemandBaseCapacity) || onDemandBaseCapacity < 0) errors.push(`onDemandBaseCapacity must be an integer >= 0, got ${onDemandBaseCapacity}.`);
  if (onDemandBaseCapacity > maxCapacity) errors.push(`onDemandBaseCapacity (${onDemandBaseCapacity}) exceeds maxCapacity (${maxCapacity}).`);
  const pct = onDemandPercentageAboveBaseCapacity;
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
    errors.push(`onDemandPercentageAboveBaseCapacity must be an integer from 0 to 100, got ${onDemandPercentageAboveBaseCapacity}.`);
  }

  const minVcpus = props.minVcpus ?? 2;
  const maxVcpus = props.maxVcpus ?? 2;
  const minMemoryMiB = props.minMemoryMiB ?? 4096;
  const maxMemoryMiB = props.maxMemoryMiB ?? 32768;
  if (!Number.isInteger(minVcpus) || minVcpus < 1) errors.push(`minVcpus must be an integer >= 1, got ${minVcpus}.`);
  if (minVcpus > maxVcpus) errors.push(`minVcpus (${minVcpus}) exceeds maxVcpus (${maxVcpus}).`);
  if (!Number.isInteger(minMemoryMiB) || minMemoryMiB < 512) errors.push(`minMemoryMiB must be an integer >= 512, got ${minMemoryMiB}.`);
  if (minMemoryMiB > maxMemoryMiB) errors.push(`minMemoryMiB (${minMemoryMiB}) exceeds maxMemoryMiB (${maxMemoryMiB}).`);
  if (props.allowedInstanceTypes?.length && props.excludedInstanceTypes?.length) {
    errors.push('allowedInstanceTypes and excludedInstanceTypes cannot be combined (EC2 rejects both): keep one of them.');
  }
  if (props.allowedInstanceTypes && props.allowedInstanceTypes.length === 0) errors.push('allowedInstanceTypes is empty: omit it or list at least one type.');
  const requirements = { minVcpus, maxVcpus, minMemoryMiB, maxMemoryMiB, allowBurstable: props.allowBurstableInstances ?? false };
  for (const type of props.allowedInstanceTypes ?? []) {
    const why = instanceTypeMismatch(type, requirements);
    if (why) {
      errors.push(`allowedInstanceTypes: ${why}, so EC2 would never launch it. Remove it, or change the requirement props to admit it.`);
    }
  }

  const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 16;
  if (!Number.isInteger(rootVolumeSizeGiB) || rootVolumeSizeGiB < 8) {
    errors.push(`rootVolumeSizeGiB must be an integer >= 8 (the Amazon Linux 2023 image needs 8 GiB), got ${rootVolumeSizeGiB}.`);
  }

  const drainTimeout = props.drainTimeout ?? Duration.minutes(5);
  if (drainTimeout.toSeconds() < 30 || drainTimeout.toSeconds() > 7200) {
    errors.push(`drainTimeout must be between 30 seconds and 2 hours (lifecycle hook limits), got ${drainTimeout.toHumanString()}.`);
  }
  const instanceWarmup = props.instanceWarmup ?? Duration.seconds(FLEET_SCALING_DEFAULTS.instanceWarmupSeconds);
  const launchTimeout = props.launchTimeout ?? Duration.seconds(
    Math.min(MAX_HOOK_SECONDS, Math.max(MIN_DERIVED_LAUNCH_SECONDS, Math.ceil(2 * instanceWarmup.toSeconds({ integral: false })))));
  const launchSeconds = launchTimeout.toSeconds({ integral: false });
  if (!Number.isInteger(launchSeconds) || launchSeconds < 30 || launchSeconds > MAX_HOOK_SECONDS) {
    errors.push(
      `launchTimeout must be a whole number of seconds from 30 seconds to 2 hours (lifecycle hook limits), got ${launchTimeout.toHumanString()}. ` +
      'Use e.g. Duration.minutes(10), or omit it to derive it from instanceWarmup.',
    );
  }
  const scaleToZeroAfter = props.scaleToZeroAfter ?? Duration.minutes(FLEET_SCALING_DEFAULTS.scaleToZeroAfterMinutes);
  if (scaleToZeroAfter.toSeconds() < 60 || scaleToZeroAfter.toSeconds() % 60 !== 0) {
    errors.push(`scaleToZeroAfter must be a whole number of minutes, at least 1, got ${scaleToZeroAfter.toHumanString()}.`);
  }
  if (scaleToZeroAfter.toSeconds() > MAX_ALARM_EVALUATION_SECONDS) {
    errors.push(
      `scaleToZeroAfter is ${scaleToZeroAfter.toHumanString()}: at most 24 hours, because the idle alarm evaluates 1-minute periods ` +
      'and CloudWatch limits an alarm with periods under an hour to one day of evaluation. Use Duration.hours(24) or less.',
    );
  }
  const idleGracePeriod = props.idleGracePeriod ?? Duration.seconds(60);
  const idleReleaseAfter = props.idleReleaseAfter ?? Duration.seconds(RUNTIME_ENV.SPOT_WORKER_IDLE_RELEASE_SECONDS.default);

  const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
  if (metricsNamespace === '' || metricsNamespace.startsWith('AWS/')) {
    errors.push(`metricsNamespace '${metricsNamespace}' is not allowed: use a non-empty namespace that does not start with 'AWS/'.`);
  }

  if (errors.length > 0) {
    throw new Error(`QueueDrivenSpotWorkerFleet: invalid props:\n- ${errors.join('\n- ')}`);
  }

  return {
    inputPrefix,
    outputPrefix,
    inputSuffixes,
    maxReceiveCount,
    queueRetentionPeriod,
    deadLetterRetentionPeriod: DEAD_LETTER_RETENTION,
    visibilityTimeout,
    expectedProcessingTime,
    acceptableLatency,
    backlogPerInstanceTarget,
    minCapacity,
    maxCapacity,
    instanceWarmup,
    scaleToZeroAfter,
    drainTimeout,
    launchTimeout,
    onDemandBaseCapacity,
    onDemandPercentageAboveBaseCapacity,
    minVcpus,
    maxVcpus,
    minMemoryMiB,
    maxMemoryMiB,
    allowBurstableInstances: props.allowBurstableInstances ?? false,
    rootVolumeSizeGiB,
    idleGracePeriod,
    idleReleaseAfter,
    idleReleaseEarly: props.idleReleaseEarly ?? RUNTIME_ENV.SPOT_WORKER_IDLE_RELEASE_EARLY.default,
    metricsNamespace,
  };
}
