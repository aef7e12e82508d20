import { Match } from 'aws-cdk-lib/assertions';
import { onlyResource, synthFleet, userDataOf } from './support/fleet-stack';

// Every default of the issue, asserted on the synthesized template of a fleet with no props.
const { template, fleet } = synthFleet();

describe('bucket defaults', () => {
  test('blocks all public access, S3-managed encryption, ACLs disabled', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('enforces TLS with a deny on aws:SecureTransport=false', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('ObjectCreated notifications filtered by uploads/ and each JPEG suffix casing, to the queue', () => {
    const n = onlyResource(template, 'Custom::S3BucketNotifications');
    const configs = n.Properties.NotificationConfiguration.QueueConfigurations;
    const filters = configs.map((c: any) => c.Filter.Key.FilterRules);
    expect(configs.every((c: any) => c.Events.join() === 's3:ObjectCreated:*')).toBe(true);
    expect(filters).toEqual(['.jpg', '.jpeg', '.JPG', '.JPEG'].map((suffix) => [
      { Name: 'suffix', Value: suffix },
      { Name: 'prefix', Value: 'uploads/' },
    ]));
    expect(fleet.inputPrefix).toBe('uploads/');
    expect(fleet.outputPrefix).toBe('processed/');
  });
});

describe('queue defaults', () => {
  const queues = template.findResources('AWS::SQS::Queue');
  const [workKey] = Object.entries(queues).find(([, q]) => q.Properties.RedrivePolicy)!;
  const work = queues[workKey].Properties;
  const dlq = Object.values(queues).find((q) => !q.Properties.RedrivePolicy)!.Properties;

  test('SSE-SQS on both queues (S3 cannot publish under the AWS-managed SQS key)', () => {
    expect(work.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(work.KmsMasterKeyId).toBeUndefined();
  });

  test('long polling 20 s; visibility = 6 × 10 s expected processing time, at least 60 s', () => {
    expect(work.ReceiveMessageWaitTimeSeconds).toBe(20);
    expect(work.VisibilityTimeout).toBe(60);
  });

  test('redrive to the DLQ after 5 receives; DLQ keeps 14 days, longer than the queue (4 days)', () => {
    expect(work.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(work.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][1]).toBe('Arn');
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(work.MessageRetentionPeriod).toBe(4 * 24 * 3600);
  });

  test('queue policy: TLS only, and only this bucket of this account may send', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: workKey }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowThisBucketToSendObjectCreatedEvents',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [workKey, 'Arn'] },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetBucket'), 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          },
        ],
      },
    });
  });
});

describe('fleet defaults', () => {
  const asg = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
  const lt = onlyResource(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData;

  test('min 0, max 10, no desired capacity (deploys never reset the scaling)', () => {
    expect(asg.MinSize).toBe('0');
    expect(asg.MaxSize).toBe('10');
    expect(asg.DesiredCapacity).toBeUndefined();
  });

  test('100% Spot above an On-Demand base of 0, price-capacity-optimized, Capacity Rebalancing', () => {
    expect(asg.MixedInstancesPolicy.InstancesDistribution).toEqual({
      OnDemandAllocationStrategy: 'lowest-price',
      OnDemandBaseCapacity: 0,
      OnDemandPercentageAboveBaseCapacity: 0,
      SpotAllocationStrategy: 'price-capacity-optimized',
    });
    expect(asg.CapacityRebalance).toBe(true);
  });

  test('attribute-based Graviton selection: 2-8 vCPUs, 4-32 GiB, current generation, no burstable', () => {
    expect(asg.MixedInstancesPolicy.LaunchTemplate.Overrides).toEqual([{
      InstanceRequirements: {
        CpuManufacturers: ['amazon-web-services'],
        InstanceGenerations: ['current'],
        VCpuCount: { Min: 2, Max: 2 },
        MemoryMiB: { Min: 4096, Max: 32768 },
        BurstablePerformance: 'excluded',
        BareMetal: 'excluded',
        AcceleratorCount: { Max: 0 },
      },
    }]);
  });

  test('group metrics enabled (the scaling math reads them)', () => {
    expect(asg.MetricsCollection).toEqual([{ Granularity: '1Minute' }]);
  });

  test('arm64 Amazon Linux 2023 from the public SSM parameter (env-agnostic)', () => {
    const params = template.toJSON().Parameters;
    const ami = Object.values(params).find((p: any) => String(p.Default).includes('al2023')) as any;
    expect(ami.Type).toBe('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
    expect(ami.Default).toMatch(/^\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-[0-9.]+-arm64$/);
  });

  test('IMDSv2 required, hop limit 1, instance tags in metadata; no SSH key; encrypted gp3 root', () => {
    expect(lt.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'enabled' });
    expect(lt.KeyName).toBeUndefined();
    expect(lt.BlockDeviceMappings).toEqual([{
      DeviceName: '/dev/xvda',
      Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 16, VolumeType: 'gp3' },
    }]);
  });

  test('security group: no inbound rule, outbound HTTPS only', () => {
    const sg = onlyResource(template, 'AWS::EC2::SecurityGroup').Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: Match.anyValue(), FromPort: 443, ToPort: 443, IpProtocol: 'tcp' },
    ].map((e) => ({ ...e, Description: sg.SecurityGroupEgress[0].Description })));
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('default VPC costs nothing idle: public subnets only, no NAT gateway, S3 gateway endpoint, rejected-traffic flow log', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::EIP', 0);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
    for (const subnet of Object.values(template.findResources('AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    }
  });

  test('termination lifecycle hook: 5 minute heartbeat, CONTINUE by default', () => {
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      LifecycleHookName: 'spot-worker-drain',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 300,
      DefaultResult: 'CONTINUE',
    });
  });
});

describe('worker deployment defaults', () => {
  const script = userDataOf(template);

  test('installs Node.js 22 with dnf and fetches the runtime bundle from the asset bucket', () => {
    expect(script).toMatch(/^dnf install -y nodejs22 unzip$/m);
    expect(script).toContain("REGION='<AWS::Region>'");
    expect(script).toMatch(/aws s3api get-object --region "\$REGION" --expected-bucket-owner "\$ASSET_BUCKET_OWNER" --bucket "cdk-[^"]+-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}" --key "[0-9a-f]{64}\.zip" "\$archive" >\/dev\/null/);
    expect(script).toContain('unzip -q -o "$archive" -d "/opt/spot-worker"');
  });

  test('writes the runtime configuration with the default handler and the contract variables', () => {
    for (const line of [
      'AWS_REGION="<AWS::Region>"',
      'SPOT_WORKER_BUCKET="<FleetBucket8AD9091F>"',
      'SPOT_WORKER_HANDLER="image-to-pdf"',
      'SPOT_WORKER_INPUT_PREFIX="uploads/"',
      'SPOT_WORKER_OUTPUT_PREFIX="processed/"',
      'SPOT_WORKER_METRICS_NAMESPACE="SpotWorkerFleet"',
      `SPOT_WORKER_FLEET_NAME="${fleet.fleetName}"`,
      'SPOT_WORKER_IDLE_GRACE_SECONDS="60"',
    ]) {
      expect(script.split('\n')).toContain(line);
    }
    expect(script).toMatch(/^SPOT_WORKER_QUEUE_URL="<FleetQueue[0-9A-F]+>"$/m);
    expect(script).toMatch(/^SPOT_WORKER_DLQ_URL="<FleetDeadLetterQueue[0-9A-F]+>"$/m);
    expect(script).toContain('SPOT_WORKER_LIFECYCLE_HOOK_NAME="spot-worker-drain"');
    expect(script).toContain('aws:autoscaling:groupName');
    expect(script).not.toMatch(/SPOT_WORKER_CONCURRENCY/);
  });

  test('systemd unit: restart on failure, SIGTERM, stop timeout = drain timeout + 30 s', () => {
    for (const line of [
      'ExecStart=$NODE_BIN --enable-source-maps /opt/spot-worker/spot-worker.js run',
      'EnvironmentFile=/etc/spot-worker/env',
      'Restart=on-failure',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=330',
      'User=spot-worker',
    ]) {
      expect(script.split('\n')).toContain(line);
    }
    expect(script).toContain('systemctl enable --now spot-worker.service');
  });
});

describe('observability defaults', () => {
  test('a dashboard with every required widget', () => {
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const title of ['Backlog', 'Backlog per instance', 'Instances', 'Age of oldest message', 'Dead-letter queue depth',
      'Images processed', 'Processing time', 'Utilisation']) {
      expect(body).toContain(`\\"title\\":\\"${title}`);
    }
    for (const metric of ['ImagesProcessed', 'ProcessingTime', 'BusyTime', 'JobFailures', 'GroupInServiceInstances']) {
      expect(body).toContain(metric);
    }
    // The age-of-oldest-message and DLQ widgets draw their alarms (metric and threshold).
    expect(body).toMatch(/FleetMonitoringOldestMessageTooOld[0-9A-F]+/);
    expect(body).toMatch(/FleetMonitoringDeadLetterQueueNotEmpty[0-9A-F]+/);
  });

  test('alarms: DLQ depth > 0 and age of oldest message > acceptable latency (300 s)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetDeadLetterQueue'), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 300,
    });
  });

  test('metric helpers use the runtime namespace and Fleet dimension', () => {
    const m = fleet.metricImagesProcessed();
    expect(m.namespace).toBe('SpotWorkerFleet');
    expect(m.metricName).toBe('ImagesProcessed');
    expect(m.dimensions).toEqual({ Fleet: fleet.fleetName });
    expect(fleet.metricProcessingTime().metricName).toBe('ProcessingTime');
    expect(fleet.metricInServiceInstances().namespace).toBe('AWS/AutoScaling');
    expect(fleet.metricBacklogPerInstance().expression).toContain('IF(FILL(inservice, 0) > 0');
    expect(fleet.metricJobFailures().expression).toContain('MetricName="JobFailures"');
    expect(fleet.metricUtilization().expression).toContain('busy');
  });
});
