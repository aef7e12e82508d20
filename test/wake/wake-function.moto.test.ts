/**
 * The wake function's code (the exact inline source the template deploys) run without Lambda
 * against moto's Auto Scaling, with the `Object Created` event JSON that S3 sends to EventBridge
 * (AWS's documented example) and with the event moto's own S3 → EventBridge path produces; and
 * the construct's event pattern checked by moto's EventBridge (TestEventPattern).
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingGroupsCommand, SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FleetWake } from '../../src/wake/fleet-wake';
import { WAKE_FUNCTION_CODE } from '../../src/wake/wake-function-code';
import { describeWithPeers, motoEnv, RunningPeer, startMoto } from '../support/peers';
import { testApp } from '../support/test-app';

const DOC_EVENT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'events', 's3-eventbridge-object-created.json'), 'utf8'));

type WakeResult = { action: string; desired?: number };
interface WakeDeps { client: AutoScalingClient; groupName: string; quietMs: number; now: () => number }
interface WakeModule {
  createWake(deps: WakeDeps): (event: unknown) => Promise<WakeResult>;
  handler(event: unknown): Promise<WakeResult>;
}

/** Loads the inline source as Lambda would: a CommonJS module whose `require` finds the AWS SDK. */
function loadWakeCode(): WakeModule {
  const module = { exports: {} as WakeModule };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('exports', 'require', 'module', WAKE_FUNCTION_CODE)(module.exports, require, module);
  return module.exports;
}

function uploadEvent(bucket: string, key: string): unknown {
  const e = JSON.parse(JSON.stringify(DOC_EVENT));
  e.resources = [`arn:aws:s3:::${bucket}`];
  e.detail.bucket.name = bucket;
  e.detail.object.key = key;
  return e;
}

/** Counts the Auto Scaling API calls a client makes, by command. */
function countCalls(client: AutoScalingClient): Record<string, number> {
  const counts: Record<string, number> = {};
  client.middlewareStack.add((next, ctx) => (args) => {
    counts[ctx.commandName!] = (counts[ctx.commandName!] ?? 0) + 1;
    return next(args);
  }, { step: 'initialize', name: 'countCalls' });
  return counts;
}

/** Calls moto's EventBridge (AWS JSON 1.1) directly: no EventBridge client among the dev dependencies. */
async function awsJson(endpoint: string, target: string, body: unknown): Promise<any> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': target,
      'Authorization': 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${target}: ${res.status} ${text}`);
  return JSON.parse(text);
}

describeWithPeers(['MOTO_SERVER_BIN'], 'wake function against moto', () => {
  let moto: RunningPeer;
  let asg: AutoScalingClient;
  let groupSeq = 0;
  const wakeCode = loadWakeCode();

  beforeAll(async () => {
    moto = await startMoto();
    asg = new AutoScalingClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });
  afterAll(async () => { await moto?.stop(); });

  async function group(desired: number): Promise<string> {
    const name = `wake-group-${++groupSeq}`;
    await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${name}-lc`, ImageId: 'ami-12c6146b', InstanceType: 't4g.small' }));
    await asg.send(new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name, LaunchConfigurationName: `${name}-lc`, MinSize: 0, MaxSize: 10, DesiredCapacity: desired, AvailabilityZones: ['us-east-1a'],
    }));
    return name;
  }
  const desiredOf = async (name: string): Promise<number | undefined> =>
    (await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }))).AutoScalingGroups?.[0]?.DesiredCapacity;

  test('the first upload into a group at zero sets its desired capacity to 1', async () => {
    const name = await group(0);
    const wake = wakeCode.createWake({ client: asg, groupName: name, quietMs: 10_000, now: () => 0 });
    await expect(wake(uploadEvent('photos', 'uploads/a.jpg'))).resolves.toEqual({ action: 'woke', desired: 1 });
    expect(await desiredOf(name)).toBe(1);
  });

  test('a running group is never touched, in particular never lowered', async () => {
    const name = await group(3);
    const wake = wakeCode.createWake({ client: asg, groupName: name, quietMs: 10_000, now: () => 0 });
    await expect(wake(uploadEvent('photos', 'uploads/a.jpg'))).resolves.toEqual({ action: 'none', desired: 3 });
    expect(await desiredOf(name)).toBe(3);
  });

  test('a burst of 2000 uploads in 2 minutes makes at most one Describe per 10 s quiet interval and one Set', async () => {
    const name = await group(0);
    const client = new AutoScalingClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const calls = countCalls(client);
    let clock = 0;
    const wake = wakeCode.createWake({ client, groupName: name, quietMs: 10_000, now: () => clock });
    const actions: Record<string, number> = {};
    // Reserved concurrency 1: the function instance takes the events one after the other.
    for (let i = 0; i < 2000; i++) {
      clock = i * 60; // 2000 uploads over 120 s
      const r = await wake(uploadEvent('photos', `uploads/burst/${i}.jpg`));
      actions[r.action] = (actions[r.action] ?? 0) + 1;
    }
    // 120 s of events with a 10 s quiet interval: intervals starting at 0, 10, …, 110 s.
    expect(calls).toEqual({ DescribeAutoScalingGroupsCommand: 12, SetDesiredCapacityCommand: 1 });
    expect(actions).toEqual({ woke: 1, none: 11, skipped: 1988 });
    expect(await desiredOf(name)).toBe(1);
  });

  test('a failed call is retried by the next event at once (the quiet interval is cleared), and non-S3 events are ignored', async () => {
    let clock = 0;
    const wake = wakeCode.createWake({ client: asg, groupName: 'no-such-group', quietMs: 10_000, now: () => clock });
    await expect(wake(uploadEvent('photos', 'uploads/a.jpg'))).rejects.toThrow(/no-such-group not found/);
    clock = 1;
    await expect(wake(uploadEvent('photos', 'uploads/b.jpg'))).rejects.toThrow(/not found/);
    await expect(wake({ 'detail-type': 'Scheduled Event', 'detail': {} })).resolves.toMatchObject({ action: 'ignored' });
  });

  test('the Lambda entry point reads its group and quiet interval from the environment and its endpoint from the SDK defaults', async () => {
    const name = await group(0);
    const saved = { ...process.env };
    Object.assign(process.env, motoEnv(moto.endpoint), { GROUP_NAME: name, QUIET_SECONDS: '10' });
    try {
      const fresh = loadWakeCode();
      await expect(fresh.handler(uploadEvent('photos', 'uploads/x.jpeg'))).resolves.toEqual({ action: 'woke', desired: 1 });
      await expect(fresh.handler(uploadEvent('photos', 'uploads/y.jpeg'))).resolves.toMatchObject({ action: 'skipped' });
    } finally {
      process.env = saved;
    }
    expect(await desiredOf(name)).toBe(1);
    // The group can go back to zero (scale-in) and be woken again after the quiet interval.
    await asg.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: 0 }));
    expect(await desiredOf(name)).toBe(0);
  });

  describe('the construct\'s event pattern (moto S3 → EventBridge rule)', () => {
    let pattern: string;
    beforeAll(() => {
      const stack = new Stack(testApp(), 'WakePattern');
      const bucket = s3.Bucket.fromBucketName(stack, 'Photos', 'photos');
      new FleetWake(stack, 'Wake', {
        bucket, inputPrefix: 'uploads/', inputSuffixes: ['.jpg', '.JPG'], autoScalingGroupName: 'g', quietInterval: Duration.seconds(10),
      });
      const rule = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'))[0] as any;
      pattern = JSON.stringify(rule.Properties.EventPattern);
    });
    test('moto\'s S3 → EventBridge events pass the pattern exactly for the input prefix, suffixes and bucket; the captured event wakes the group', async () => {
      const cfg = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      const s3c = new S3Client({ ...cfg, forcePathStyle: true });
      const sqsc = new SQSClient(cfg);
      for (const bucket of ['photos', 'someone-else']) {
        await s3c.send(new CreateBucketCommand({ Bucket: bucket }));
        await s3c.send(new PutBucketNotificationConfigurationCommand({
          Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} },
        }));
      }
      const q = await sqsc.send(new CreateQueueCommand({ QueueName: 'captured-events' }));
      const qArn = (await sqsc.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      await awsJson(moto.endpoint, 'AWSEvents.PutRule', { Name: 'wake', EventPattern: pattern });
      await awsJson(moto.endpoint, 'AWSEvents.PutTargets', { Rule: 'wake', Targets: [{ Id: 'capture', Arn: qArn }] });
      const uploads: Array<[string, string]> = [
        ['photos', 'uploads/a.jpg'], ['photos', 'uploads/holiday photos/b.JPG'], ['photos', 'uploads/c.png'],
        ['photos', 'processed/a.jpg.pdf'], ['photos', 'other/uploads/a.jpg'], ['someone-else', 'uploads/a.jpg'],
      ];
      for (const [Bucket, Key] of uploads) await s3c.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
      const captured: any[] = [];
      for (let i = 0; i < 3; i++) {
        const got = await sqsc.send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        captured.push(...(got.Messages ?? []).map((m) => JSON.parse(m.Body!)));
      }
      expect(captured.map((e) => [e['detail-type'], e.detail.bucket.name, e.detail.object.key]).sort()).toEqual([
        ['Object Created', 'photos', 'uploads/a.jpg'], ['Object Created', 'photos', 'uploads/holiday photos/b.JPG'],
      ]);
      const name = await group(0);
      const wake = wakeCode.createWake({ client: asg, groupName: name, quietMs: 10_000, now: () => 0 });
      await expect(wake(captured[0])).resolves.toEqual({ action: 'woke', desired: 1 });
    });
  });
});
