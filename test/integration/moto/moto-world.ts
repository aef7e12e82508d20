/**
 * Shared set-up for the moto integration suites: a bucket whose ObjectCreated notifications go
 * to a work queue with a DLQ (redrive as backstop), an Auto Scaling group with one instance,
 * and the compiled `spot-worker` CLI run as a child process.
 */
import { execFileSync, spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  AutoScalingClient, CreateAutoScalingGroupCommand, CreateLaunchConfigurationCommand, DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateBucketCommand, HeadObjectCommand, PutBucketNotificationConfigurationCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, Message,
} from '@aws-sdk/client-sqs';
import { motoEnv } from '../../support/peers';

const ROOT = path.join(__dirname, '..', '..', '..');
const RUNTIME = path.join(ROOT, 'worker-runtime');
export const CLI = path.join(RUNTIME, 'bin', 'spot-worker.js');

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles worker-runtime to lib/ when it is missing or older than its sources. */
export function ensureRuntimeCompiled(): void {
  const main = path.join(RUNTIME, 'lib', 'cli', 'main.js');
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= newestMtime(path.join(RUNTIME, 'src'), '.ts')) return;
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(RUNTIME, 'tsconfig.json')], { stdio: 'pipe' });
  } catch (e) {
    // tsc still emits on type errors elsewhere in the workspace; only a missing entry point is fatal.
    if (!fs.existsSync(main)) throw e;
  }
}

export interface World {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly asg: AutoScalingClient;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

export function clients(endpoint: string): { s3: S3Client; sqs: SQSClient; asg: AutoScalingClient } {
  const cfg = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  return { s3: new S3Client({ ...cfg, forcePathStyle: true }), sqs: new SQSClient(cfg), asg: new AutoScalingClient(cfg) };
}

/** Bucket → (ObjectCreated under uploads/) → queue → (redrive after `maxReceiveCount` receives) → DLQ, all through the API. */
export async function createWorld(
  endpoint: string, name: string, visibilityTimeoutSeconds: number, versioned = false, maxReceiveCount = 5,
): Promise<World> {
  const { s3, sqs, asg } = clients(endpoint);
  const bucket = `${name}-bucket`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const q = await sqs.send(new CreateQueueCommand({
    QueueName: `${name}-jobs`,
    Attributes: {
      VisibilityTimeout: String(visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
    },
  }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: bucket,
    NotificationConfiguration: {
      QueueConfigurations: [{
        QueueArn: queueArn,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
      }],
    },
  }));
  return { s3, sqs, asg, bucket, queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** A launch configuration and a one-instance group; returns the instance moto started. */
export async function createGroup(endpoint: string, name: string): Promise<{ groupName: string; instanceId: string }> {
  const { asg } = clients(endpoint);
  await asg.send(new CreateLaunchConfigurationCommand({ LaunchConfigurationName: `${name}-lc`, ImageId: 'ami-12c6146b', InstanceType: 't4g.small' }));
  await asg.send(new CreateAutoScalingGroupCommand({
    AutoScalingGroupName: name,
    LaunchConfigurationName: `${name}-lc`,
    MinSize: 0,
    MaxSize: 2,
    DesiredCapacity: 1,
    AvailabilityZones: ['us-east-1a'],
  }));
  const res = await asg.send(new DescribeAutoScalingInstancesCommand({}));
  const inst = res.AutoScalingInstances?.find((i) => i.AutoScalingGroupName === name);
  if (!inst?.InstanceId) throw new Error('moto started no instance in the group');
  return { groupName: name, instanceId: inst.InstanceId };
}

export async function isProtected(asg: AutoScalingClient, instanceId: string): Promise<boolean> {
  const res = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  return Boolean(res.AutoScalingInstances?.[0]?.ProtectedFromScaleIn);
}

export async function upload(w: World, key: string, body: Uint8Array, contentType = 'image/jpeg'): Promise<void> {
  await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: key, Body: body, ContentType: contentType }));
}

export async function head(w: World, key: string): Promise<{ metadata: Record<string, string>; contentType?: string; size?: number } | undefined> {
  try {
    const r = await w.s3.send(new HeadObjectCommand({ Bucket: w.bucket, Key: key }));
    return { metadata: r.Metadata ?? {}, contentType: r.ContentType, size: r.ContentLength };
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw e;
  }
}

export async function queueCounts(sqs: SQSClient, url: string): Promise<{ visible: number; inFlight: number }> {
  const a = (await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  }))).Attributes ?? {};
  return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/** Reads (without deleting) up to `max` DLQ messages with their attributes. */
export async function peekDeadLetters(sqs: SQSClient, url: string, max: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < 5 && out.length < max; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageAttributeNames: ['All'],
    }));
    out.push(...(r.Messages ?? []));
  }
  return out;
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface RunningWorker {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

export function startWorker(endpoint: string, w: World, env: Record<string, string>): RunningWorker {
  const logs: Array<Record<string, unknown>> = [];
  let err = '';
  const child = spawn(process.execPath, [CLI, 'run'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...motoEnv(endpoint),
      SPOT_WORKER_QUEUE_URL: w.queueUrl,
      SPOT_WORKER_DLQ_URL: w.dlqUrl,
      SPOT_WORKER_IMDS_POLL_SECONDS: '0',
      SPOT_WORKER_CONCURRENCY: '2',
      SPOT_WORKER_RETRY_BASE_SECONDS: '1',
      SPOT_WORKER_RETRY_MAX_SECONDS: '2',
      // A drain lets the poll in flight finish (see docs/runtime.md); short polls keep the suite quick.
      SPOT_WORKER_RECEIVE_WAIT_SECONDS: '3',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { logs.push(JSON.parse(line)); } catch { logs.push({ raw: line }); }
    }
  });
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-8000); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, logs, stderr: () => err, exited };
}

export async function stopWorker(worker: RunningWorker, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
  if (worker.child.exitCode !== null || worker.child.signalCode) return worker.child.exitCode;
  worker.child.kill(signal);
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), timeoutMs);
  const code = await worker.exited;
  clearTimeout(timer);
  return code;
}
