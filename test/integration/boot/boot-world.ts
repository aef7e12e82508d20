/**
 * The boot proof's world: a stand-in instance (instance.ts) whose network namespace holds moto
 * (S3, SQS, Auto Scaling, CloudWatch, Logs) and the EC2 metadata mock on 169.254.169.254:80; the
 * synthesized fleet's resources created in moto from the template's own properties (queues, the
 * bucket notification, the lifecycle hooks, the log group, the asset bucket holding the assets
 * from cdk.out); and the launch template's user data run in the instance as cloud-init runs it.
 */
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingInstancesCommand, PutLifecycleHookCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BootInstance, ExecResult } from './instance';
import { Deployment, resolve, resourcesOfType, SynthesizedFleet, userData } from './template';
import { freePort, peerPath } from '../../support/peers';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** Where cloud-init keeps the user data script it runs. */
const SCRIPT = '/var/lib/cloud/instance/scripts/part-001';

export interface BootWorld {
  readonly instance: BootInstance;
  /** moto, reachable from here and (same URL) from inside the instance. */
  readonly endpoint: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly autoScaling: AutoScalingClient;
  readonly deployment: Deployment;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly groupName: string;
  readonly instanceId: string;
  /** Where the assets were published (bucket, key), as the user data fetches them. */
  readonly assetObjects: Array<{ bucket: string; key: string }>;
  /** The decoded user data of the synthesized launch template. */
  readonly script: string;
  destroy(): Promise<void>;
}

export interface BootWorldOptions {
  /** Extra arguments of the metadata mock's `spot` command (default: no notice within the hour). */
  readonly metadataMockArgs?: string[];
  /** Values of the template's parameters, by logical id. */
  readonly parameters?: Record<string, string>;
}

/** Starts the instance and its peers and deploys the synthesized fleet to moto. */
export async function createBootWorld(fleet: SynthesizedFleet, options: BootWorldOptions = {}): Promise<BootWorld> {
  const node = peerPath('NODE22_HOST_BIN');
  const moto = peerPath('MOTO_SERVER_BIN');
  const aemm = peerPath('AEMM_BIN');
  if (!node || !moto || !aemm) throw new Error('peers missing: run bash scripts/peers.sh');
  const instance = await BootInstance.start({ nodeDir: path.dirname(path.dirname(node)) });
  const peers: ChildProcess[] = [];
  const clients: Array<{ destroy(): void }> = [];
  const destroy = async () => {
    for (const c of clients) c.destroy();
    await instance.stop();
  };
  try {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    peers.push(instance.spawnInNamespaces([moto, '-H', '127.0.0.1', '-p', String(port)]));
    const aemmPort = await freePort();
    await instance.forward([{ hostPort: port, target: `127.0.0.1:${port}` }, { hostPort: aemmPort, target: '169.254.169.254:80' }]);
    await waitForHttp(`${endpoint}/moto-api/`, 'moto', peers[0]);

    const cfg = { region: REGION, endpoint, credentials: CREDENTIALS };
    const s3 = new S3Client({ ...cfg, forcePathStyle: true });
    const sqs = new SQSClient(cfg);
    const autoScaling = new AutoScalingClient(cfg);
    clients.push(s3, sqs, autoScaling);
    const deployed = await deploy(fleet, { s3, sqs, autoScaling, endpoint }, options.parameters ?? {});

    // The metadata mock answers as the group's instance would: its id and its group tag.
    const mockConfig = path.join(instance.work, 'aemm-config.json');
    fs.writeFileSync(mockConfig, JSON.stringify({
      metadata: {
        // AEMM serves only the paths it knows; its second example tag becomes the group tag.
        paths: { 'tags-instance-test': '/latest/meta-data/tags/instance/aws:autoscaling:groupName' },
        values: { 'instance-id': deployed.instanceId, 'tags-instance-test': deployed.groupName },
      },
    }));
    const mockArgs = options.metadataMockArgs ?? ['-d', '3600', '--rebalance-delay-sec', '3600'];
    peers.push(instance.spawnInNamespaces([aemm, 'spot', ...mockArgs, '-c', mockConfig, '-n', '169.254.169.254', '-p', '80', '-I'], {
      cwd: instance.work, env: { ...process.env, HOME: instance.work },
    }));
    await waitForHttp(`http://127.0.0.1:${aemmPort}/latest/api/token`, 'the metadata mock', peers[1], 'PUT');

    return {
      instance,
      endpoint,
      s3,
      sqs,
      autoScaling,
      ...deployed,
      script: userData(fleet.template, deployed.deployment),
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

interface Clients { s3: S3Client; sqs: SQSClient; autoScaling: AutoScalingClient; endpoint: string }

/** CloudWatch Logs' CreateLogGroup on moto (its JSON protocol; moto routes by the signature's service, not checked). */
async function createLogGroup(endpoint: string, logGroupName: string): Promise<void> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'Logs_20140328.CreateLogGroup',
      'authorization': `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/20260101/${REGION}/logs/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ logGroupName }),
  });
  if (res.status !== 200) throw new Error(`CreateLogGroup ${logGroupName}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Creates what the user data refers to, from the template's properties, and returns what the
 * references resolve to. Names are chosen here (CloudFormation would generate them).
 */
async function deploy(fleet: SynthesizedFleet, c: Clients, parameters: Record<string, string>) {
  const t = fleet.template;
  const d: Deployment = {
    refs: { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'BootProof', ...parameters },
    attributes: {},
  };
  const name = (id: string) => `bootproof-${id.toLowerCase()}`.slice(0, 63);

  // Queues: dead-letter queues first (a redrive policy names its DLQ's ARN).
  const queues = resourcesOfType(t, 'AWS::SQS::Queue').sort(([, a], [, b]) => Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)));
  for (const [id, r] of queues) {
    const p = resolve(r.Properties ?? {}, d) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const k of ['VisibilityTimeout', 'ReceiveMessageWaitTimeSeconds', 'MessageRetentionPeriod', 'DelaySeconds', 'MaximumMessageSize']) {
      if (p[k] !== undefined) attributes[k] = String(p[k]);
    }
    if (p.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
    const url = (await c.sqs.send(new CreateQueueCommand({ QueueName: name(id), Attributes: attributes }))).QueueUrl!;
    const arn = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    Object.assign(d.refs, { [id]: url });
    Object.assign(d.attributes, { [`${id}.Arn`]: arn, [`${id}.QueueUrl`]: url, [`${id}.QueueName`]: name(id) });
  }

  const buckets = resourcesOfType(t, 'AWS::S3::Bucket');
  if (buckets.length !== 1) throw new Error(`expected the fleet's own bucket only, found ${buckets.length} buckets`);
  const [bucketId] = buckets[0];
  const bucket = name(bucketId);
  await c.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  Object.assign(d.refs, { [bucketId]: bucket });
  Object.assign(d.attributes, { [`${bucketId}.Arn`]: `arn:aws:s3:::${bucket}` });

  for (const [id, r] of resourcesOfType(t, 'AWS::Logs::LogGroup')) {
    const logGroupName = (r.Properties?.LogGroupName as string | undefined) ?? `/bootproof/${id}`;
    await createLogGroup(c.endpoint, String(resolve(logGroupName, d)));
    Object.assign(d.refs, { [id]: String(resolve(logGroupName, d)) });
  }

  // The notifications custom resource's configuration, put as its handler puts it.
  const notifications = resourcesOfType(t, 'Custom::S3BucketNotifications');
  if (notifications.length !== 1) throw new Error(`expected one bucket notification resource, found ${notifications.length}`);
  // (Its ServiceToken, the handler function, is what this replaces.)
  const { BucketName, NotificationConfiguration } = notifications[0][1].Properties as Record<string, unknown>;
  const n = resolve({ BucketName, NotificationConfiguration }, d) as { BucketName: string; NotificationConfiguration: Record<string, unknown> };
  await c.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: n.BucketName, NotificationConfiguration: n.NotificationConfiguration }));
  await drainTestEvents(c.sqs, Object.values(d.refs).filter((v) => v.includes('/bootproof-')));

  // The CDK asset bucket and what cdk-assets would publish to it.
  const assetObjects: Array<{ bucket: string; key: string }> = [];
  for (const a of fleet.fileAssets) {
    const assetBucket = String(resolve({ 'Fn::Sub': a.bucketName }, d));
    assetObjects.push({ bucket: assetBucket, key: a.objectKey });
    await c.s3.send(new CreateBucketCommand({ Bucket: assetBucket })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
    });
    await c.s3.send(new PutObjectCommand({ Bucket: assetBucket, Key: a.objectKey, Body: fs.readFileSync(a.file) }));
  }

  // The group: moto launches its instance; the template's lifecycle hooks are put on it.
  const groups = resourcesOfType(t, 'AWS::AutoScaling::AutoScalingGroup');
  if (groups.length !== 1) throw new Error(`expected one Auto Scaling group, found ${groups.length}`);
  const [groupId, group] = groups[0];
  const groupName = name(groupId);
  await c.autoScaling.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${groupName}-lc`, ImageId: 'ami-12c6146b', InstanceType: 't4g.small' }));
  await c.autoScaling.send(new CreateAutoScalingGroupCommand({
    AutoScalingGroupName: groupName,
    LaunchConfigurationName: `${groupName}-lc`,
    MinSize: 0,
    MaxSize: Number(resolve(group.Properties?.MaxSize, d) ?? 1),
    DesiredCapacity: 1,
    AvailabilityZones: [`${REGION}a`],
  }));
  Object.assign(d.refs, { [groupId]: groupName });
  for (const [, r] of resourcesOfType(t, 'AWS::AutoScaling::LifecycleHook')) {
    const p = resolve(r.Properties, d) as Record<string, string | number>;
    await c.autoScaling.send(new PutLifecycleHookCommand({
      AutoScalingGroupName: String(p.AutoScalingGroupName),
      LifecycleHookName: String(p.LifecycleHookName),
      LifecycleTransition: String(p.LifecycleTransition),
      HeartbeatTimeout: p.HeartbeatTimeout === undefined ? undefined : Number(p.HeartbeatTimeout),
      DefaultResult: p.DefaultResult === undefined ? undefined : String(p.DefaultResult),
    }));
  }
  const instances = (await c.autoScaling.send(new DescribeAutoScalingInstancesCommand({}))).AutoScalingInstances ?? [];
  const instanceId = instances.find((i) => i.AutoScalingGroupName === groupName)?.InstanceId;
  if (!instanceId) throw new Error('moto started no instance in the group');
  const queueId = queues.find(([, r]) => r.Properties?.RedrivePolicy)![0];
  return { deployment: d, bucket, queueUrl: d.refs[queueId], groupName, instanceId, assetObjects };
}

/** S3 sends a test event to a freshly configured queue; drop it so the worker sees uploads only. */
async function drainTestEvents(sqs: SQSClient, queueUrls: string[]): Promise<void> {
  for (const url of queueUrls) {
    const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }))).Messages ?? [];
    for (const m of got) {
      if (!m.Body?.includes('s3:TestEvent')) throw new Error(`unexpected message in a fresh queue: ${m.Body?.slice(0, 200)}`);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

async function waitForHttp(url: string, what: string, child: ChildProcess, method = 'GET'): Promise<void> {
  let output = '';
  child.stdout?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-3000); });
  child.stderr?.on('data', (b: Buffer) => { output = (output + b.toString()).slice(-3000); });
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${output}`);
    try {
      const res = await fetch(url, { method, headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch { /* not up yet */ }
    if (Date.now() > until) throw new Error(`${what} not ready after 60 s: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The environment of the boot script and of the service, beyond what cloud-init and systemd set.
 * AWS_ENDPOINT_URL stands in for AWS's DNS (every service at moto); the static keys stand in for
 * the instance profile (the metadata mock's role credentials expired in 2020).
 */
export function awsStandIns(endpoint: string): Record<string, string> {
  return { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
}

export interface BootRun extends ExecResult {
  /** `spot-worker-boot: step=<name> at=<epoch s>` lines, in order. */
  readonly steps: Array<{ name: string; at: number }>;
}

/**
 * Runs the user data as cloud-init does: written to its scripts folder, executable, run as root
 * with cloud-init's PATH, its output appended to /var/log/cloud-init-output.log. Before that,
 * the test's stand-ins for AWS DNS and the instance profile go to systemd's DefaultEnvironment=
 * (the systemctl shim applies it to every unit, as systemd does).
 */
export async function runUserData(w: BootWorld, timeoutMs = 180_000): Promise<BootRun> {
  const standIns = awsStandIns(w.endpoint);
  fs.mkdirSync(path.dirname(w.instance.file(SCRIPT)), { recursive: true });
  fs.writeFileSync(w.instance.file(SCRIPT), w.script, { mode: 0o700 });
  fs.mkdirSync(w.instance.file('/etc/systemd'), { recursive: true });
  fs.writeFileSync(w.instance.file('/etc/systemd/system.conf'),
    `[Manager]\nDefaultEnvironment=${Object.entries(standIns).map(([k, v]) => `"${k}=${v}"`).join(' ')}\n`);
  const r = await w.instance.exec([SCRIPT], {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    ...standIns,
  }, timeoutMs);
  fs.appendFileSync(w.instance.file('/var/log/cloud-init-output.log'), r.stdout + r.stderr);
  const steps = [...r.stdout.matchAll(/^spot-worker-boot: step=(\S+) at=(\d+(?:\.\d+)?)$/gm)].map((m) => ({ name: m[1], at: Number(m[2]) }));
  return { ...r, steps };
}

/** The service's JSON log lines (the systemctl shim's journal). */
export function serviceLog(w: BootWorld): Array<Record<string, unknown>> {
  const file = w.instance.file('/var/log/journal-shim/spot-worker.service.log');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try { return JSON.parse(l) as Record<string, unknown>; } catch { return { unparsed: l }; }
  });
}

export function journalText(w: BootWorld): string {
  const file = w.instance.file('/var/log/journal-shim/spot-worker.service.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}
