import { ArnFormat, Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface WorkerLogsProps {
  readonly retention: logs.RetentionDays;
  readonly encryptionKey?: kms.IKey;
}

/**
 * The workers' CloudWatch Logs group: the runtime ships its JSON log lines there (one stream per
 * instance, `SPOT_WORKER_LOG_GROUP`), and a failed boot writes its failure there, so the logs of a
 * Spot instance outlive it. The role's permission to write there is in WorkerPermissions.
 */
export class WorkerLogs extends Construct {
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WorkerLogsProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.retention,
      encryptionKey: props.encryptionKey,
      // Kept when the stack is deleted (the retention still expires them): they may explain why it was.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.encryptionKey) {
      // CloudWatch Logs encrypts with the key as the regional service principal. The condition cannot
      // name this group (its ARN depends on the key: a cycle), so it names this account's groups in this Region.
      props.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsWorkerLogs',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }));
    }
  }
}
