/**
 * The ports of the worker runtime: what the run loop needs from the outside world.
 * `adapters/aws` implements them with the AWS SDK (EC2, or moto and the metadata mock in tests);
 * `adapters/local` implements them with files and processes (local mode). The run loop in
 * `core/` only ever sees these interfaces, so both modes run the same code.
 */

/** One message as received from the work queue. */
export interface QueueMessage {
  readonly messageId: string;
  /** Opaque; never logged. */
  readonly receiptHandle: string;
  readonly body: string;
  /** ApproximateReceiveCount: 1 on first delivery. */
  readonly receiveCount: number;
  /** When the message was first sent (epoch ms), when known. */
  readonly sentAt?: number;
}

export interface ReceiveOptions {
  /** 1..10 */
  readonly maxMessages: number;
  /** Long-poll wait, 0..20 s. */
  readonly waitTimeSeconds: number;
  /** Cancels a long poll in progress (drain). */
  readonly signal?: AbortSignal;
}

export interface DeleteEntry {
  readonly id: string;
  readonly receiptHandle: string;
}

export interface DeleteResult {
  /** Entries the queue refused to delete; the caller logs them (they will be redelivered). */
  readonly failed: ReadonlyArray<{ readonly id: string; readonly code: string; readonly message: string }>;
}

/** Why a message was moved to the dead-letter queue; attached as message attributes. */
export interface DeadLetterReason {
  /** Machine-readable failure kind, e.g. `invalid-image`, `object-gone`, `malformed-event`. */
  readonly kind: string;
  /** Human-readable reason. */
  readonly message: string;
  /** The source object, when the failure concerns one record of the event. */
  readonly bucket?: string;
  readonly key?: string;
}

/** The queue's approximate message counts (SQS: ApproximateNumberOfMessages and ...NotVisible). */
export interface QueueDepth {
  readonly visible: number;
  readonly notVisible: number;
}

export interface WorkQueue {
  receive(options: ReceiveOptions): Promise<QueueMessage[]>;
  /** Batch delete (≤ 10 entries); per-entry failures are reported, not thrown. */
  deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult>;
  /** Extends (or, with 0, releases) a message's visibility. Throws if the handle is no longer valid. */
  changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void>;
  /** Sends a copy of the message body to the DLQ with the reason attached. The caller then deletes the original. */
  sendToDeadLetter(message: QueueMessage, reason: DeadLetterReason): Promise<void>;
  /** The queue's configured visibility timeout in seconds. */
  visibilityTimeoutSeconds(): Promise<number>;
  /**
   * The receive count after which the queue's redrive moves a message to the DLQ, or undefined
   * without a redrive policy. Optional: without it a timed-out job is only ever retried.
   */
  maxReceiveCount?(): Promise<number | undefined>;
  /**
   * Messages visible and in flight now (approximate, as SQS reports them). Optional: a queue
   * without it never lets an idle worker release its instance (core/idle-release.ts).
   */
  approximateDepth?(): Promise<QueueDepth>;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly etag?: string;
  readonly versionId?: string;
  readonly contentType?: string;
}

export interface GetOptions {
  /** Read this version (the event's), not whatever is current now. */
  readonly versionId?: string;
  /**
   * Refuse larger objects before their bytes are read (a `PermanentError` of kind `too-large`),
   * by the size the store reports, and stop reading once the body passes it.
   */
  readonly maxBytes?: number;
}

/** What a HEAD says about an object. */
export interface ObjectHead {
  readonly etag?: string;
  /** User metadata as stored (x-amz-meta-*). */
  readonly metadata: Record<string, string>;
}

export interface PutOptions {
  readonly contentType: string;
  /** User metadata (x-amz-meta-*), ASCII-safe values. */
  readonly metadata: Record<string, string>;
  readonly signal?: AbortSignal;
  /** Write only if the object's ETag is still this one (else `OutputChangedError`). */
  readonly ifMatch?: string;
  /** `'*'`: write only if no object exists at the key (else `OutputChangedError`). */
  readonly ifNoneMatch?: '*';
}

/**
 * The largest body an ObjectStore sends in one request. A larger one may go in parts (S3: a multipart
 * upload, whose conditions are checked only when it completes, after every part was sent).
 */
export const SINGLE_PUT_MAX_BYTES = 8 * 1024 * 1024;

export interface ObjectStore {
  /** Throws `ObjectGoneError` (permanent) when the object (or the version asked for) does not exist (any more). */
  getObject(bucket: string, key: string, signal?: AbortSignal, options?: GetOptions): Promise<StoredObject>;
  /** The object's ETag and metadata, or undefined when there is none. */
  headObject(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectHead | undefined>;
  /** `body` as one buffer or as consecutive parts (written as if joined). */
  putObject(bucket: string, key: string, body: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<void>;
}

/** Lifecycle action parameters as the metadata service / ASG provide them. */
export interface LifecycleAction {
  readonly hookName: string;
  readonly groupName: string;
  readonly instanceId: string;
  readonly token?: string;
}

/** This instance's place in its Auto Scaling group. Optional: absent outside an ASG. */
export interface InstanceControl {
  setScaleInProtection(protect: boolean): Promise<void>;
  /**
   * Whether the instance is protected from scale-in now, as the group says (DescribeAutoScalingInstances):
   * read after a protection call failed, whose effect is then unknown. Optional: without it the
   * call is retried blindly.
   */
  readScaleInProtection?(): Promise<boolean>;
  recordLifecycleHeartbeat(action: LifecycleAction): Promise<void>;
  completeLifecycleAction(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void>;
  /** Tells the group this instance is broken (SetInstanceHealth Unhealthy), so it is replaced. */
  markUnhealthy(): Promise<void>;
  /**
   * Leaves the group: TerminateInstanceInAutoScalingGroup. With `decrementDesiredCapacity` false the
   * group launches a replacement (a drain after a rebalance recommendation); with true it does not
   * (an idle instance releasing itself).
   */
  leaveGroup(decrementDesiredCapacity: boolean): Promise<void>;
}

export type InterruptionKind = 'spot-interruption' | 'rebalance-recommendation' | 'lifecycle-terminating' | 'sigterm';

/** A reason to stop taking work and drain. */
export interface InterruptionNotice {
  readonly kind: InterruptionKind;
  /** When the instance goes away, if known (Spot: the notice's time; lifecycle: heartbeat timeout). */
  readonly deadline?: Date;
  /** For `lifecycle-terminating`: the action to complete once drained. */
  readonly lifecycle?: LifecycleAction;
}

/** Watches for interruptions (IMDS on EC2, injected signals in local mode). */
export interface InterruptionSource {
  start(onNotice: (notice: InterruptionNotice) => void): void;
  stop(): void;
}

export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'Bytes' | 'Percent' | 'None';

export interface MetricsSink {
  /** Buffers a datapoint; sending is batched by the sink. */
  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void;
  flush(): Promise<void>;
}
