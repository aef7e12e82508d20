/**
 * A fleet's AWS side on moto server, set up through the API as the construct would: the moto
 * suites' world (test/integration/moto/moto-world.ts: a bucket whose ObjectCreated events under
 * `uploads/` go to a work queue with a DLQ, and a one-instance group) plus a termination
 * lifecycle hook on that group.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand, PutLifecycleHookCommand } from '@aws-sdk/client-auto-scaling';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createGroup, createWorld, queueCounts, upload } from '../moto/moto-world';

export interface MotoFleet {
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly groupName: string;
  readonly hookName: string;
  readonly instanceId: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly autoScaling: AutoScalingClient;
  upload(key: string, body: Uint8Array): Promise<void>;
  /** Visible and in-flight message counts of a queue (moto keeps them exact). */
  counts(queueUrl: string): Promise<{ visible: number; inFlight: number }>;
  /** Receives up to 10 messages with a long poll of `waitSeconds`, as another consumer would. */
  receive(queueUrl: string, waitSeconds: number, visibilityTimeout?: number): Promise<Message[]>;
  protectedFromScaleIn(): Promise<boolean>;
  destroy(): void;
}

/** The moto suites' world (bucket → queue → DLQ, a one-instance group) plus a termination lifecycle hook. */
export async function createMotoFleet(endpoint: string, options: { visibilityTimeout?: number } = {}): Promise<MotoFleet> {
  const world = await createWorld(endpoint, 'fleet', options.visibilityTimeout ?? 120);
  const { groupName, instanceId } = await createGroup(endpoint, 'fleet-asg');
  const { s3, sqs, asg: autoScaling } = world;
  const hookName = 'drain-before-terminate';
  await autoScaling.send(new PutLifecycleHookCommand({
    AutoScalingGroupName: groupName,
    LifecycleHookName: hookName,
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    HeartbeatTimeout: 300,
    DefaultResult: 'ABANDON',
  }));
  const describeGroup = async () => {
    const res = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
    return res.AutoScalingGroups![0];
  };
  // S3 sends a test event to a freshly configured queue; drop it so counts start at zero.
  await drainTestEvents(sqs, world.queueUrl);

  return {
    bucket: world.bucket,
    queueUrl: world.queueUrl,
    dlqUrl: world.dlqUrl,
    groupName,
    hookName,
    instanceId,
    s3,
    sqs,
    autoScaling,
    upload: (key, body) => upload(world, key, body),
    counts: (url) => queueCounts(sqs, url),
    receive: async (url, waitSeconds, visibilityTimeout) => (await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: visibilityTimeout,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      MessageAttributeNames: ['All'],
    }))).Messages ?? [],
    protectedFromScaleIn: async () => Boolean((await describeGroup()).Instances!.find((i) => i.InstanceId === instanceId)?.ProtectedFromScaleIn),
    destroy: () => { s3.destroy(); sqs.destroy(); autoScaling.destroy(); },
  };
}

async function drainTestEvents(sqs: SQSClient, queueUrl: string): Promise<void> {
  const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? [];
  for (const m of got) {
    if (!m.Body?.includes('s3:TestEvent')) throw new Error(`unexpected message in a fresh queue: ${m.Body?.slice(0, 200)}`);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}

/** The decoded object keys an S3 event message refers to. */
export function eventKeys(body: string | undefined): string[] {
  const doc = JSON.parse(body ?? '{}') as { Records?: Array<{ s3?: { object?: { key?: string } } }> };
  return (doc.Records ?? []).map((r) => decodeURIComponent((r.s3?.object?.key ?? '').replace(/\+/g, ' ')));
}
