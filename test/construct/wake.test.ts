import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { onlyResource, synthFleet } from './support/fleet-stack';

/** The wake function (the template also holds aws-cdk-lib's bucket-notifications handler). */
function wakeFunctions(template: Template): any[] {
  return Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('FleetWakeFunction')).map(([, r]) => r);
}

describe('wake on upload (S3 → EventBridge → wake function)', () => {
  test('default: EventBridge notifications on, a rule per input prefix and suffix targets the function', () => {
    const { template } = synthFleet({ inputPrefix: 'in/', inputSuffixes: ['.jpg', '.png'] });
    const notifications = onlyResource(template, 'Custom::S3BucketNotifications');
    expect(notifications.Properties.NotificationConfiguration.EventBridgeConfiguration).toEqual({});
    const rule = onlyResource(template, 'AWS::Events::Rule');
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.s3'],
      'detail-type': ['Object Created'],
      'detail': {
        bucket: { name: [{ Ref: expect.stringMatching(/^FleetBucket/) }] },
        object: { key: [{ wildcard: 'in/*.jpg' }, { wildcard: 'in/*.png' }] },
      },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^FleetWakeFunction/), 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
    })]);
  });

  test('a literal * in the prefix or a suffix is escaped, not a wildcard', () => {
    const { template } = synthFleet({ inputPrefix: 'a*b/', inputSuffixes: ['.j*g'] });
    expect(onlyResource(template, 'AWS::Events::Rule').Properties.EventPattern.detail.object.key).toEqual([{ wildcard: 'a\\*b/*.j\\*g' }]);
  });

  test('the function: inline code, reserved concurrency 1, arm64, its group and quiet interval in the environment', () => {
    const { template } = synthFleet();
    const fn = wakeFunctions(template)[0];
    expect(fn.Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: { GROUP_NAME: { Ref: expect.stringMatching(/^FleetGroup/) }, QUIET_SECONDS: '10' } },
    });
    expect(fn.Properties.Code.ZipFile).toContain('SetDesiredCapacityCommand');
  });

  test('its permissions: Describe (no resource-level permissions exist), SetDesiredCapacity on the own group only, its own logs', () => {
    const { template } = synthFleet();
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) => /Wake/.test(JSON.stringify(p.Properties.Roles)));
    expect(policies).toHaveLength(1);
    const statements = (policies[0] as any).Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => [s.Sid, s.Action])).toEqual([
      ['ReadGroup', 'autoscaling:DescribeAutoScalingGroups'],
      ['WakeGroup', 'autoscaling:SetDesiredCapacity'],
      ['OwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents']],
    ]);
    expect(JSON.stringify(statements[1].Resource)).toContain(':autoScalingGroupName/');
  });

  test('a bring-your-own bucket gets EventBridge notifications through the same notifications resource', () => {
    const { template } = synthFleet({}, (stack) => ({ bucket: s3.Bucket.fromBucketName(stack, 'Byo', 'my-archive') }));
    expect(onlyResource(template, 'Custom::S3BucketNotifications').Properties.NotificationConfiguration.EventBridgeConfiguration).toEqual({});
    expect(onlyResource(template, 'AWS::Events::Rule').Properties.EventPattern.detail.bucket.name).toEqual(['my-archive']);
  });

  test('wakeOnUpload: false leaves only the metric-driven wake (no function, no rule, no EventBridge notifications)', () => {
    const { template, fleet } = synthFleet({ wakeOnUpload: false });
    expect(wakeFunctions(template)).toEqual([]);
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(onlyResource(template, 'Custom::S3BucketNotifications').Properties.NotificationConfiguration.EventBridgeConfiguration).toBeUndefined();
    expect(fleet.wakeFunction).toBeUndefined();
  });
});
