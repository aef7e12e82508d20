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
  constructor(private readonly queue: sqs.IQueue) {}

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
    // S3 checks the queue policy when the notification is created: depend on it. (The queue itself is
    // already a dependency through the ARN; an imported queue has no policy here.)
    const policy = this.queue.node.tryFindChild('Policy');
    return { arn: this.queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: policy ? [policy] : [] };
  }
}
