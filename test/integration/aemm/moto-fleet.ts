/**
 * A fleet's AWS side on moto server, set up through the API as the construct would: a bucket
 * whose ObjectCreated events under `uploads/` go to a work queue (real S3 → SQS
 * notifications), a dead-letter queue, and an Auto Scaling group with one instance (the
 * worker's own) and a termination lifecycle hook.
 */
import {
  AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand, PutLifecycleHookCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';

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

const region = 'us-east-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export async function createMotoFleet(endpoint: string, options: { visibilityTimeout?: number } = {}): Promise<MotoFleet> {
  const s3 = new S3Client({ region, credentials, endpoint, forcePathStyle: true });
  const sqs = new SQSClient({ region, credentials, endpoint });
  const autoScaling = new AutoScalingClient({ region, credentials, endpoint });
  const bucket = 'fleet-images';
  const groupName = 'fleet-asg';
  const hookName = 'drain-before-terminate';

  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'fleet-dlq' }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(new CreateQueueCommand({
    QueueName: 'fleet-work',
    Attributes: {
      VisibilityTimeout: String(options.visibilityTimeout ?? 120),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
    },
  }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;

  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: bucket,
    NotificationConfiguration: {
      QueueConfigurations: [{
        QueueArn: queueArn,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
      }],
    },
  }));

  await autoScaling.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: 'fleet-lc', ImageId: 'ami-12c6146b', InstanceType: 't4g.small' }));
  await autoScaling.send(new CreateAutoScalingGroupCommand({
    AutoScalingGroupName: groupName, LaunchConfigurationName: 'fleet-lc', MinSize: 0, MaxSize: 1, DesiredCapacity: 1, AvailabilityZones: [`${region}a`],
  }));
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
  const instanceId = (await describeGroup()).Instances![0].InstanceId!;
  // S3 sends a test event to a freshly configured queue; drop it so counts start at zero.
  await drainTestEvents(sqs, queue.QueueUrl!);

  return {
    bucket,
    queueUrl: queue.QueueUrl!,
    dlqUrl: dlq.QueueUrl!,
    groupName,
    hookName,
    instanceId,
    s3,
    sqs,
    autoScaling,
    upload: async (key, body) => { await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' })); },
    counts: async (url) => {
      const a = (await sqs.send(new GetQueueAttributesCommand({
        QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }))).Attributes!;
      return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
    },
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
