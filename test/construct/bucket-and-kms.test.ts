import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { QueueDrivenSpotWorkerFleet } from '../../src';
import { byoKmsQueues, FAKE_BUNDLE, onlyResource, synthFleet } from './support/fleet-stack';
import { testApp } from '../support/test-app';

const actionsOf = (s: any): string[] => ([] as string[]).concat(s.Action).sort();

describe('the own bucket', () => {
  test('aborts incomplete multipart uploads after a day (the runtime uploads large outputs in parts)', () => {
    const { template } = synthFleet();
    const bucket = onlyResource(template, 'AWS::S3::Bucket');
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
    ]);
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
  });

  test('versioning is an opt-in', () => {
    const bucket = onlyResource(synthFleet({ bucketVersioning: true }).template, 'AWS::S3::Bucket');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  test('its notifications handler role has no managed policy and may only put this bucket\'s notification', () => {
    const { template } = synthFleet();
    const roles = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => id.includes('NotificationsHandler'));
    expect(roles).toHaveLength(1);
    expect(roles[0][1].Properties.ManagedPolicyArns).toBeUndefined();
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(roles[0][0]));
    const statements = policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([expect.objectContaining({ Action: 's3:PutBucketNotification', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FleetBucket/), 'Arn'] } })]);
  });
});

describe('bring-your-own KMS-encrypted queue and dead-letter queue', () => {
  test('synthesizes with the grants: S3 on the queue key (for this bucket), the role exactly what SQS needs', () => {
    const { template } = synthFleet({}, byoKmsQueues);
    const keys = template.findResources('AWS::KMS::Key');
    const keyId = (prefix: string) => Object.keys(keys).find((id) => id.startsWith(prefix))!;
    const queueKeyStatements = keys[keyId('QueueKey')].Properties.KeyPolicy.Statement;
    const s3Statement = queueKeyStatements.find((s: any) => s.Principal?.Service === 's3.amazonaws.com');
    expect(actionsOf(s3Statement)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(s3Statement.Condition.ArnEquals['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FleetBucket/), 'Arn'] });
    expect(s3Statement.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    // The DLQ key is not S3's business.
    expect(JSON.stringify(keys[keyId('DlqKey')].Properties.KeyPolicy)).not.toContain('s3.amazonaws.com');

    const roleStatements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('FleetInstanceRole'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
    const onKey = (prefix: string) => roleStatements.filter((s: any) => JSON.stringify(s.Resource).includes(keyId(prefix))).flatMap(actionsOf).sort();
    // Receive from a KMS queue: kms:Decrypt. Send to a KMS queue (the DLQ): kms:GenerateDataKey and kms:Decrypt.
    expect(onKey('QueueKey')).toEqual(['kms:Decrypt']);
    expect(onKey('DlqKey')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  test('an imported queue key fails synth with what to add to its policy, unless the owner says it is done', () => {
    const imported = (stack: Stack) => {
      const key = kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
      const deadLetterQueue = new sqs.Queue(stack, 'MyDlq', { enforceSSL: true });
      const queue = new sqs.Queue(stack, 'MyQueue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true });
      return { queue, deadLetterQueue };
    };
    expect(() => synthFleet({}, imported)).toThrow(
      /queue's KMS key .* is imported.*S3 needs kms:GenerateDataKey and kms:Decrypt.*s3\.amazonaws\.com.*importedQueueKeyAllowsS3: true/s,
    );
    expect(() => synthFleet({ importedQueueKeyAllowsS3: true }, imported)).not.toThrow();
  });

  test('an SSE-SQS queue needs no key grant', () => {
    const stack = new Stack(testApp(), 'SseSqs');
    const dlq = new sqs.Queue(stack, 'D', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const q = new sqs.Queue(stack, 'Q', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    expect(() => new QueueDrivenSpotWorkerFleet(stack, 'Fleet', { runtimeBundlePath: FAKE_BUNDLE, queue: q, deadLetterQueue: dlq, bucket: new s3.Bucket(stack, 'B') }))
      .not.toThrow();
  });
});
