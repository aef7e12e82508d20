import { Stack, Validations } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * Findings of cdk-nag's AwsSolutions pack that are inherent to the fleet's design, acknowledged
 * where they arise, each with the reason it is acceptable (docs/iam.md explains the IAM ones).
 * Acknowledgements go through aws-cdk-lib's `Validations`, which cdk-nag v3 reads, so the
 * library needs no dependency on cdk-nag.
 */
/**
 * Records an acknowledgement the way `Validations.acknowledge` does. Needed for cdk-nag's per-finding
 * ids (`AwsSolutions-IAM5[Resource::...]`): `acknowledge()` of this aws-cdk-lib version rejects '::'
 * in ids, while cdk-nag v3 only accepts the exact finding id.
 */
function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
}

/**
 * A resource string as cdk-nag prints it in a finding id: references become `<LogicalId>` or
 * `<LogicalId.Attribute>`, joins are concatenated.
 */
export function flattenForNag(scope: IConstruct, value: string): string {
  const flatten = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Ref' in o) return `<${o.Ref}>`;
      if ('Fn::GetAtt' in o) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(flatten).join(sep);
      }
    }
    return JSON.stringify(v);
  };
  return flatten(Stack.of(scope).resolve(value));
}

/** The wildcard resources of the worker policy, and why each is required (see docs/iam.md). */
export interface WorkerPolicyWildcards {
  readonly inputObjects: string;
  readonly outputObjects: string;
  readonly autoScalingGroupArn: string;
}

export function acknowledgeWorkerPolicyWildcards(policy: IConstruct, w: WorkerPolicyWildcards): void {
  const objects = 'S3 object ARNs name keys and the keys are the users\' uploads, so a prefix is the narrowest scope.';
  acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::${flattenForNag(policy, w.inputObjects)}]`,
    `Read access is limited to objects under the input prefix: ${objects}`);
  acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::${flattenForNag(policy, w.outputObjects)}]`,
    `Write access is limited to objects under the output prefix: ${objects}`);
  acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::${flattenForNag(policy, w.autoScalingGroupArn)}]`,
    'An Auto Scaling group ARN contains a UUID that CloudFormation does not return; the group name part is exact.');
  acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]',
    "cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the fleet's namespace by the 'cloudwatch:namespace' condition. "
    + 'autoscaling:DescribeAutoScalingInstances (read-only) has none either; the writes to Auto Scaling are limited to the fleet\'s own group.');
}

export function acknowledgeMixedInstancesGroup(group: IConstruct): void {
  Validations.of(group).acknowledge({
    id: 'AwsSolutions-EC26',
    reason:
      'The rule only reads the group\'s LaunchTemplate property and throws on a MixedInstancesPolicy group. The group\'s launch ' +
      'template (in MixedInstancesPolicy) has a single block device, an encrypted gp3 root volume.',
  });
}

export function acknowledgeNoScalingNotifications(group: IConstruct): void {
  Validations.of(group).acknowledge({
    id: 'AwsSolutions-AS3',
    reason:
      'Scaling to and from zero is this group\'s normal operation, many times a day; every activity is in the Auto Scaling ' +
      'activity history, the in-service and desired counts are on the fleet dashboard, and instances handed back by a worker ' +
      'that could not work raise instancesMarkedUnhealthyAlarm. Pass scalingNotificationsTopic to receive every activity in SNS.',
  });
}

export function acknowledgeNoAccessLogs(bucket: IConstruct): void {
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Server access logging is opt-in (serverAccessLogsBucket) because it needs a second bucket that grows with every ' +
      'request; the bucket is private and TLS-only, and object-level activity can be recorded with CloudTrail data events instead.',
  });
}

/**
 * aws-cdk-lib delivers S3 notification configurations through a stack-wide custom resource
 * (BucketNotificationsHandler). For an imported bucket its role gets the AWS managed basic
 * execution policy (the construct's own bucket passes a role without it).
 */
export function acknowledgeBucketNotificationsHandler(scope: Construct): void {
  const stack = Stack.of(scope);
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('BucketNotificationsHandler')) {
      acknowledgeFinding(child, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The bucket is imported, so aws-cdk-lib creates the notifications handler\'s role with AWSLambdaBasicExecutionRole (logs only). ' +
        'To avoid it, import the bucket with Bucket.fromBucketAttributes({ notificationsHandlerRole }) and a role of yours made ' +
        'immutable with withoutPolicyUpdates() that allows s3:PutBucketNotification on the bucket (as the construct does for its own bucket).');
    }
  }
}

export function acknowledgeWakeDescribe(policy: IConstruct, groupArn: string): void {
  acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::${flattenForNag(policy, groupArn)}]`,
    'An Auto Scaling group ARN contains a UUID that CloudFormation does not return; the group name part is exact.');
  acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]',
    'autoscaling:DescribeAutoScalingGroups supports no resource-level permissions; the function\'s only Auto Scaling write, SetDesiredCapacity, is limited to the fleet\'s own group.');
}
