import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { QueueDrivenSpotWorkerFleet } from '../../src';
import { FAKE_BUNDLE, onlyResource, synthFleet } from './support/fleet-stack';
import { testApp } from '../support/test-app';

const workerStatements = (template: Template) => {
  const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('FleetWorkerPermissionsPolicy'))!;
  return policy[1].Properties.PolicyDocument.Statement as any[];
};

describe('worker IAM: least privilege', () => {
  const { template } = synthFleet();
  const statements = workerStatements(template);
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);

  test('exactly these statements', () => {
    expect(statements.map((s) => s.Sid)).toEqual([
      'ReadInputs', 'WriteOutputs', 'ConsumeWorkQueue', 'DeadLetterPermanentFailures', 'ProtectAndDrainOwnGroup', 'ReadOwnProtection', 'ShipWorkerLogs',
      'PublishFleetMetrics',
      'DownloadRuntimeAndHandler',
    ]);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });

  test('read only the input prefix, write only the output prefix', () => {
    expect(bySid('ReadInputs')).toMatchObject({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FleetBucket/), 'Arn'] }, '/uploads/*']] } });
    expect(bySid('WriteOutputs')).toMatchObject({ Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: { 'Fn::Join': ['', [expect.anything(), '/processed/*']] } });
  });

  test('consume the queue; send only to the DLQ', () => {
    expect(bySid('ConsumeWorkQueue').Action).toEqual(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']);
    expect(bySid('ConsumeWorkQueue').Resource['Fn::GetAtt'][0]).toMatch(/^FleetQueue/);
    expect(bySid('DeadLetterPermanentFailures')).toMatchObject({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FleetDeadLetterQueue/), 'Arn'] } });
  });

  test('scale-in protection, lifecycle actions, instance health and leaving the group: scoped to this group', () => {
    const st = bySid('ProtectAndDrainOwnGroup');
    expect(st.Action).toEqual([
      'autoscaling:SetInstanceProtection', 'autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat',
      'autoscaling:SetInstanceHealth', 'autoscaling:TerminateInstanceInAutoScalingGroup',
    ]);
    const parts = st.Resource['Fn::Join'][1];
    expect(parts).toContain(':autoScalingGroup:*:autoScalingGroupName/');
    expect(parts[parts.length - 1]).toEqual({ Ref: expect.stringMatching(/^FleetGroupASG/) });
  });

  test('reading back scale-in protection: DescribeAutoScalingInstances only (no resource-level permissions exist for it)', () => {
    expect(bySid('ReadOwnProtection')).toMatchObject({ Action: 'autoscaling:DescribeAutoScalingInstances', Resource: '*' });
  });

  test('PutMetricData limited to the fleet namespace', () => {
    expect(bySid('PublishFleetMetrics')).toMatchObject({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'SpotWorkerFleet' } } });
  });

  test('no Allow statement anywhere grants *, s3:* or sqs:* (the only sqs:*/s3:* are TLS-enforcing denies)', () => {
    const all = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement),
      ...Object.values(template.findResources('AWS::SQS::QueuePolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement),
      ...Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement),
    ];
    const actions = (s: any) => ([] as string[]).concat(s.Action);
    const broad = (a: string) => a === '*' || a === 's3:*' || a === 'sqs:*';
    expect(all.filter((s) => s.Effect === 'Allow' && actions(s).some(broad))).toEqual([]);
    for (const deny of all.filter((s) => actions(s).some(broad))) {
      expect(deny).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    }
  });

  test('grants: upload under the input prefix, read under the output prefix', () => {
    let uploader!: iam.Role;
    const { template: t } = synthFleet({}, (stack) => {
      uploader = new iam.Role(stack, 'Uploader', { assumedBy: new iam.AccountRootPrincipal() });
      return {};
    }, (fleet) => {
      fleet.grantUpload(uploader);
      fleet.grantReadOutputs(uploader);
    });
    const policy = Object.entries(t.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('UploaderDefaultPolicy'))![1];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [expect.anything(), '/uploads/*']] } }),
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [expect.anything(), '/processed/*']] } }),
    ]);
  });
});

describe('bring your own', () => {
  test('bucket: no new bucket, notification and grants on yours, customer key granted', () => {
    const { template } = synthFleet({}, (stack) => {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      return { bucket: new s3.Bucket(stack, 'Mine', { encryption: s3.BucketEncryption.KMS, encryptionKey: key }) };
    });
    template.resourceCountIs('AWS::S3::Bucket', 1);
    const n = onlyResource(template, 'Custom::S3BucketNotifications');
    expect(n.Properties.BucketName).toEqual({ Ref: expect.stringMatching(/^Mine/) });
    expect(JSON.stringify(workerStatements(template))).toContain('Mine');
    const roleDefault = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('FleetInstanceRoleDefaultPolicy'))![1];
    expect(JSON.stringify(roleDefault.Properties.PolicyDocument.Statement)).toMatch(/kms:Decrypt.*Key/);
  });

  test('imported bucket works (the notification goes through the custom resource)', () => {
    const { template } = synthFleet({}, (stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Imported', 'existing-photos') }));
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(onlyResource(template, 'Custom::S3BucketNotifications').Properties.BucketName).toBe('existing-photos');
  });

  test('queue and dead-letter queue: used as they are, the bucket may send to yours', () => {
    const { template, fleet } = synthFleet({}, (stack) => {
      const dlq = new sqs.Queue(stack, 'MyDlq');
      return { queue: new sqs.Queue(stack, 'MyQueue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 7 } }), deadLetterQueue: dlq };
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(fleet.queue.node.id).toBe('MyQueue');
    const myQueue = Object.keys(template.findResources('AWS::SQS::Queue')).find((k) => k.startsWith('MyQueue'));
    const policy = onlyResource(template, 'AWS::SQS::QueuePolicy').Properties;
    expect(policy.Queues).toEqual([{ Ref: myQueue }]);
    expect(policy.PolicyDocument.Statement[0]).toMatchObject({ Action: 'sqs:SendMessage', Principal: { Service: 's3.amazonaws.com' } });
  });

  test('VPC: no VPC created, the given subnets used', () => {
    const { template } = synthFleet({}, (stack) => {
      const vpc = new ec2.Vpc(stack, 'Corp', { natGateways: 1 });
      return { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } };
    });
    template.resourceCountIs('AWS::EC2::VPC', 1);
    const zones = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup').Properties.VPCZoneIdentifier;
    expect(JSON.stringify(zones)).toMatch(/CorpPrivateSubnet/);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
  });

  test('fleet shape props: capacities, On-Demand base, instance types, burstable, root volume, notifications, access logs', () => {
    const app = testApp();
    const stack = new Stack(app, 'Shape');
    const topic = new sns.Topic(stack, 'Topic');
    const logs = new s3.Bucket(stack, 'Logs');
    new QueueDrivenSpotWorkerFleet(stack, 'Fleet', {
      runtimeBundlePath: FAKE_BUNDLE,
      minCapacity: 1,
      maxCapacity: 50,
      onDemandBaseCapacity: 1,
      onDemandPercentageAboveBaseCapacity: 20,
      allowedInstanceTypes: ['c7g.*', 'c8g.*'],
      allowBurstableInstances: true,
      minVcpus: 4,
      maxVcpus: 16,
      minMemoryMiB: 8192,
      maxMemoryMiB: 65536,
      rootVolumeSizeGiB: 30,
      scalingNotificationsTopic: topic,
      serverAccessLogsBucket: logs,
      inputSuffixes: ['.png'],
    });
    const t = Template.fromStack(stack);
    const asg = onlyResource(t, 'AWS::AutoScaling::AutoScalingGroup').Properties;
    expect(asg).toMatchObject({ MinSize: '1', MaxSize: '50' });
    expect(asg.MixedInstancesPolicy.InstancesDistribution).toMatchObject({ OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 20 });
    expect(asg.MixedInstancesPolicy.LaunchTemplate.Overrides[0].InstanceRequirements).toMatchObject({
      AllowedInstanceTypes: ['c7g.*', 'c8g.*'], BurstablePerformance: 'included', VCpuCount: { Min: 4, Max: 16 }, MemoryMiB: { Min: 8192, Max: 65536 },
    });
    expect(asg.NotificationConfigurations[0].NotificationTypes).toHaveLength(4);
    expect(onlyResource(t, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.BlockDeviceMappings[0].Ebs.VolumeSize).toBe(30);
    t.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'access-logs/' } });
    const filters = onlyResource(t, 'Custom::S3BucketNotifications').Properties.NotificationConfiguration.QueueConfigurations.map((c: any) => c.Filter.Key.FilterRules[0].Value);
    expect(filters).toEqual(['.png']);
  });
});
