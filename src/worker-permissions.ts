import { ArnFormat, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WorkerPermissionsProps {
  readonly role: iam.IRole;
  readonly bucket: s3.IBucket;
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly autoScalingGroupName: string;
  readonly metricsNamespace: string;
  readonly assets: s3_assets.Asset[];
  /** The workers' log group (`arn:…:log-group:<name>:*`, its streams). */
  readonly logGroupArn: string;
}

/**
 * Everything the worker runtime may do, and nothing more: its own policy (not the role's default
 * policy, so the group can be referenced without a dependency cycle through the launch template).
 * Every wildcard resource that remains is explained in docs/iam.md.
 */
export class WorkerPermissions extends Construct {
  public readonly policy: iam.Policy;
  /** The wildcard resources of the policy, each required (docs/iam.md). */
  public readonly wildcards: { inputObjects: string; outputObjects: string; autoScalingGroupArn: string };

  constructor(scope: Construct, id: string, props: WorkerPermissionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.wildcards = {
      inputObjects: props.bucket.arnForObjects(`${props.inputPrefix}*`),
      outputObjects: props.bucket.arnForObjects(`${props.outputPrefix}*`),
      // The group's ARN contains a generated UUID that CloudFormation does not expose.
      autoScalingGroupArn: stack.formatArn({
        service: 'autoscaling',
        resource: 'autoScalingGroup',
        resourceName: `*:autoScalingGroupName/${props.autoScalingGroupName}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    };
    const statements = [
      new iam.PolicyStatement({
        sid: 'ReadInputs',
        actions: ['s3:GetObject'],
        resources: [this.wildcards.inputObjects],
      }),
      new iam.PolicyStatement({
        sid: 'WriteOutputs',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.wildcards.outputObjects],
      }),
      new iam.PolicyStatement({
        sid: 'ConsumeWorkQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [props.queue.queueArn],
      }),
      new iam.PolicyStatement({
        sid: 'DeadLetterPermanentFailures',
        actions: ['sqs:SendMessage'],
        resources: [props.deadLetterQueue.queueArn],
      }),
      new iam.PolicyStatement({
        sid: 'ProtectAndDrainOwnGroup',
        actions: [
          'autoscaling:SetInstanceProtection', 'autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat',
          // A worker that cannot work hands its instance back (unhealthy); one that drained after a rebalance, or sat idle for idleReleaseAfter, leaves the group.
          'autoscaling:SetInstanceHealth', 'autoscaling:TerminateInstanceInAutoScalingGroup',
        ],
        resources: [this.wildcards.autoScalingGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadOwnProtection',
        // After a protection call fails with no answer, the runtime reads back what the group did.
        // Describe* calls support no resource-level permissions; this one reads, never writes.
        actions: ['autoscaling:DescribeAutoScalingInstances'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ShipWorkerLogs',
        // Streams of the fleet's log group only; PutLogEvents needs no sequence token, so no Describe*.
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [props.logGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'PublishFleetMetrics',
        actions: ['cloudwatch:PutMetricData'],
        // PutMetricData supports no resource-level permissions; the namespace condition scopes it.
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.metricsNamespace } },
      }),
    ];
    if (props.assets.length > 0) {
      statements.push(new iam.PolicyStatement({
        sid: 'DownloadRuntimeAndHandler',
        actions: ['s3:GetObject'],
        resources: props.assets.map((a) => `arn:${Aws.PARTITION}:s3:::${a.s3BucketName}/${a.s3ObjectKey}`),
      }));
    }
    this.policy = new iam.Policy(this, 'Policy', { statements, roles: [props.role] });

    // Customer-managed keys of brought-your-own resources.
    props.bucket.encryptionKey?.grantDecrypt(props.role);
    props.bucket.encryptionKey?.grantEncrypt(props.role);
    // SQS developer guide ("Key management"): a consumer needs kms:Decrypt; a producer needs
    // kms:GenerateDataKey and kms:Decrypt. The worker consumes the queue and produces to the DLQ.
    props.queue.encryptionMasterKey?.grant(props.role, 'kms:Decrypt');
    props.deadLetterQueue.encryptionMasterKey?.grant(props.role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
}
