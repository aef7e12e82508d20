/**
 * AWS SDK clients for the runtime. Endpoints come from the standard variables, which SDK v3
 * reads itself (`AWS_ENDPOINT_URL`, and per service `AWS_ENDPOINT_URL_S3`, `_SQS`,
 * `_AUTO_SCALING`, `_CLOUDWATCH`); this module only adds what the SDK cannot guess: path-style
 * S3 addressing whenever a custom endpoint is in use (moto, MinIO and friends have no
 * virtual-host DNS), and a short retry budget so a dead endpoint is noticed quickly.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly autoScaling: AutoScalingClient;
  readonly cloudWatch: CloudWatchClient;
}

type Env = Record<string, string | undefined>;

/** True when S3 requests go to a custom endpoint and need path-style addressing. */
export function usesCustomS3Endpoint(env: Env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) && env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS !== 'true';
}

export function createAwsClients(env: Env = process.env): AwsClients {
  const common = { maxAttempts: 3 };
  return {
    sqs: new SQSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: usesCustomS3Endpoint(env) }),
    autoScaling: new AutoScalingClient(common),
    cloudWatch: new CloudWatchClient(common),
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.sqs.destroy();
  clients.s3.destroy();
  clients.autoScaling.destroy();
  clients.cloudWatch.destroy();
}
