import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { onlyResource, synthFleet, userDataOf } from './support/fleet-stack';
import { FAILURES_QUERY_LINES } from '../../src/fleet-monitoring';

const workerLogGroup = (template: any): [string, any] => {
  const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('FleetWorkerLogs'));
  expect(groups).toHaveLength(1);
  return groups[0] as [string, any];
};

describe('worker logs: a CloudWatch Logs group that outlives the instances', () => {
  test('created with a month of retention by default, kept when the stack is deleted', () => {
    const { template, fleet, stack } = synthFleet();
    const [id, group] = workerLogGroup(template);
    expect(group.Properties.RetentionInDays).toBe(30);
    expect(group.DeletionPolicy).toBe('Retain');
    expect(group.Properties.KmsKeyId).toBeUndefined();
    expect(stack.resolve(fleet.logGroup.logGroupName)).toEqual({ Ref: id });
  });

  test('logRetention sets the retention', () => {
    expect(workerLogGroup(synthFleet({ logRetention: logs.RetentionDays.ONE_YEAR }).template)[1].Properties.RetentionInDays).toBe(365);
  });

  test('the runtime gets the group in SPOT_WORKER_LOG_GROUP, and the boot script its name for boot failures', () => {
    const { template } = synthFleet();
    const [id] = workerLogGroup(template);
    const script = userDataOf(template);
    expect(script.split('\n')).toContain(`SPOT_WORKER_LOG_GROUP="<${id}>"`);
    expect(script).toContain(`LOG_GROUP='<${id}>'`);
  });

  test('the role may create streams in and write to this group only', () => {
    const { template } = synthFleet();
    const [id] = workerLogGroup(template);
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]: [string, any]) => JSON.stringify(p.Properties.Roles).includes('FleetInstanceRole'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
    const logStatements = statements.filter((s: any) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('logs:')));
    expect(logStatements).toEqual([{
      Sid: 'ShipWorkerLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [id, 'Arn'] },
    }]);
  });

  test('logEncryptionKey encrypts the group; the key policy lets CloudWatch Logs use it for this account\'s groups', () => {
    const { template } = synthFleet({}, (stack: Stack) => ({ logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }) }));
    const [, group] = workerLogGroup(template);
    expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LogKey/), 'Arn'] });
    const key = onlyResource(template, 'AWS::KMS::Key');
    const st = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'CloudWatchLogsEncryptsWorkerLogs');
    expect(st.Principal.Service).toEqual({ 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
    expect(JSON.stringify(st.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:*');
  });

  test('the dashboard queries the group for errors and warnings (Logs Insights)', () => {
    const { template, stack } = synthFleet();
    const [id] = workerLogGroup(template);
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(stack.resolve(dashboard.Properties.DashboardBody));
    expect(body).toContain('"type\\":\\"log\\"');
    expect(body).toContain(id);
    expect(FAILURES_QUERY_LINES).toContain('filter level = "error" or level = "warn"');
    expect(body).toContain('filter level = \\\\\\"error\\\\\\" or level = \\\\\\"warn\\\\\\"');
  });
});
