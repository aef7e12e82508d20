import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { aws_s3 as s3Refs } from 'aws-cdk-lib/interfaces';
import { Construct } from 'constructs';

/**
 * An S3 → SQS notification destination whose queue policy admits only this bucket of this account.
 * CDK's `SqsDestination` conditions on `aws:SourceArn` alone and also grants `GetQueueAttributes` and
 * `GetQueueUrl`; S3 needs `SendMessage` only, and `aws:SourceAccount` guards against a bucket of the
 * same name recreated in another account.
 */
export class SourceConditionedQueueDestination implements s3.IBucketNotificationDestination {
  /**
   * @param importedKeyAllowsS3 the queue's key is imported and its owner has already allowed S3 (see
   *   `importedQueueKeyAllowsS3`); otherwise an imported key is an error.
   */
  constructor(private readonly queue: sqs.IQueue, private readonly importedKeyAllowsS3 = false) {}

  public bind(scope: Construct, bucket: s3Refs.IBucketRef): s3.BucketNotificationDestinationConfig {
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowThisBucketToSendObjectCreatedEvents',
      principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: {
        ArnEquals: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      },
    }));
    this.allowS3ToUseQueueKey(scope, bucket);
    // S3 checks the queue policy when the notification is created: depend on it. (The queue itself is
    // already a dependency through the ARN; an imported queue has no policy here.)
    const policy = this.queue.node.tryFindChild('Policy');
    return { arn: this.queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: policy ? [policy] : [] };
  }

  /**
   * S3 verifies a destination by sending a test message, and an event source writing to a
   * KMS-encrypted queue needs kms:GenerateDataKey and kms:Decrypt on its key (SQS developer
   * guide, "Key management"). Conditioned on this bucket of this account, like the queue policy.
   */
  private allowS3ToUseQueueKey(scope: Construct, bucket: s3Refs.IBucketRef): void {
    const key = this.queue.encryptionMasterKey;
    if (!key) return;
    const result = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowThisBucketToNotifyTheEncryptedQueue',
      principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: {
        ArnEquals: { 'aws:SourceArn': bucket.bucketRef.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      },
    }), /* allowNoOp */ true);
    if (!result.statementAdded && !this.importedKeyAllowsS3) {
      throw new Error(
        `QueueDrivenSpotWorkerFleet: the queue's KMS key (${key.node.path}) is imported, so its key policy cannot be changed here, ` +
        'and S3 needs kms:GenerateDataKey and kms:Decrypt on it to deliver the notification (the deploy would fail). Add a statement ' +
        "allowing the service principal s3.amazonaws.com those two actions (condition aws:SourceArn = your bucket's ARN) to the key's " +
        'policy, then set importedQueueKeyAllowsS3: true. Or use a key defined in this app (new kms.Key), whose policy the construct extends.',
      );
    }
  }
}
