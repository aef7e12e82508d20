import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { QueueDrivenSpotWorkerFleet } from '../src';

/** The main example: every default — new bucket, queue, DLQ and an idle-free VPC. */
export class ImageToPdfStack extends Stack {
  public readonly fleet: QueueDrivenSpotWorkerFleet;
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.fleet = new QueueDrivenSpotWorkerFleet(this, 'Fleet', { maxCapacity: 20 });
  }
}

/** Bring your own bucket: the construct only adds the filtered notification and the grants. */
export class BringYourOwnBucketStack extends Stack {
  public readonly fleet: QueueDrivenSpotWorkerFleet;
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Grant log delivery through a bucket policy instead of the legacy LogDeliveryWrite ACL.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    // An existing-style bucket with its own access logging, as an organisation's bucket would have.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log destination; logging its own access would log the log writes.',
    });
    const bucket = new s3.Bucket(this, 'PhotoArchive', {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'photo-archive/',
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
    });
    this.fleet = new QueueDrivenSpotWorkerFleet(this, 'Fleet', {
      bucket,
      inputPrefix: 'incoming/scans/',
      outputPrefix: 'pdf/',
      maxCapacity: 5,
    });
  }
}

/** Builds both example stacks into one app (env-agnostic: synth needs no AWS credentials). */
export function buildExampleApp(app: App = new App()): { main: ImageToPdfStack; byoBucket: BringYourOwnBucketStack } {
  return {
    main: new ImageToPdfStack(app, 'SpotWorkerFleetExample'),
    byoBucket: new BringYourOwnBucketStack(app, 'SpotWorkerFleetByoBucketExample'),
  };
}
