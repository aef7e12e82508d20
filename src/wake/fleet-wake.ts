import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { WAKE_FUNCTION_CODE } from './wake-function-code';

/** At most one Auto Scaling read per this interval: 6 reads a minute under any burst. */
export const WAKE_QUIET_INTERVAL = Duration.seconds(10);

export interface FleetWakeProps {
  readonly bucket: s3.IBucket;
  readonly inputPrefix: string;
  readonly inputSuffixes: string[];
  readonly autoScalingGroupName: string;
  /** At most one Auto Scaling read per this interval (and a write only when the group is at zero). */
  readonly quietInterval: Duration;
}

/** EventBridge wildcard patterns treat `*` as the wildcard; a literal one is escaped. */
function wildcardLiteral(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\*/g, '\\*');
}

/**
 * The event-driven wake: the bucket's `Object Created` events (S3 → EventBridge, which works for
 * an imported bucket too) for keys under the input prefix with an input suffix invoke a small
 * function that raises the group's desired capacity from 0 to 1 at once. It reads no CloudWatch
 * metric, so neither SQS's metric delay (up to 15 minutes for a queue that was inactive for six
 * hours) nor an alarm's evaluation stands between an upload and a launch; the metric-driven wake
 * alarm stays as the fallback (and wakes for messages that reach the queue some other way). The
 * function's reserved concurrency of 1 and its quiet interval bound its Auto Scaling calls under
 * a burst: at most one DescribeAutoScalingGroups per interval, and a SetDesiredCapacity only
 * when the group was at zero.
 */
export class FleetWake extends Construct {
  public readonly function: lambda.Function;
  public readonly rule: events.Rule;
  /** The function role's policy (its Describe statement has the wildcard resource that Auto Scaling requires). */
  public readonly policy: iam.Policy;
  /** The group ARN the policy may set the capacity of (a wildcard in place of the group's UUID). */
  public readonly groupArn: string;
  /** The most Auto Scaling calls the wake makes per minute, whatever the upload rate. */
  public readonly maxCallsPerMinute: number;

  constructor(scope: Construct, id: string, props: FleetWakeProps) {
    super(scope, id);
    const quietSeconds = props.quietInterval.toSeconds();
    // Each interval: one Describe, plus one Set when it found the group at zero.
    this.maxCallsPerMinute = 2 * Math.ceil(60 / quietSeconds);
    props.bucket.enableEventBridgeNotification();

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const groupArn = this.groupArn = Stack.of(this).formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${props.autoScalingGroupName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Spot worker fleet wake: read the group, set its desired capacity from 0 to 1, write its own logs',
    });
    this.policy = new iam.Policy(this, 'Policy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadGroup',
          actions: ['autoscaling:DescribeAutoScalingGroups'],
          // Auto Scaling's Describe actions support no resource-level permissions.
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'WakeGroup', actions: ['autoscaling:SetDesiredCapacity'], resources: [groupArn] }),
        new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
      ],
    });
    this.function = new lambda.Function(this, 'Function', {
      description: 'Spot worker fleet: sets desired capacity 0 -> 1 on the first upload (never lowers it)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(WAKE_FUNCTION_CODE),
      memorySize: 128,
      timeout: Duration.seconds(15),
      reservedConcurrentExecutions: 1,
      role,
      logGroup,
      environment: { GROUP_NAME: props.autoScalingGroupName, QUIET_SECONDS: String(quietSeconds) },
    });
    // Only the policy: the role is already a dependency through the function's GetAtt (cfn-lint W3005).
    (this.function.node.defaultChild as lambda.CfnFunction).addOverride('DependsOn',
      [Stack.of(this).getLogicalId(this.policy.node.defaultChild as iam.CfnPolicy)]);

    this.rule = new events.Rule(this, 'UploadRule', {
      description: 'Uploads under the input prefix wake the spot worker fleet',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          object: { key: props.inputSuffixes.flatMap((suffix) => events.Match.wildcard(`${wildcardLiteral(props.inputPrefix)}*${wildcardLiteral(suffix)}`)) },
        },
      },
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
