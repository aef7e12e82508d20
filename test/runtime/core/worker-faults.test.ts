/**
 * Worker behaviour under faults moto cannot produce, with the real SQS / S3 / Auto Scaling
 * adapters over aws-sdk-client-mock: a visibility extension that fails mid-job, a
 * DeleteMessageBatch that refuses one entry, and lifecycle heartbeats + CompleteLifecycleAction
 * (moto implements neither).
 */
import {
  AutoScalingClient, CompleteLifecycleActionCommand, RecordLifecycleActionHeartbeatCommand, SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { AutoScalingInstanceControl } from '../../../worker-runtime/src/adapters/aws/auto-scaling-instance-control';
import { S3ObjectStore } from '../../../worker-runtime/src/adapters/aws/s3-object-store';
import { SqsWorkQueue } from '../../../worker-runtime/src/adapters/aws/sqs-work-queue';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { Worker } from '../../../worker-runtime/src/core/worker';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs';
const DLQ = 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs-dlq';
const cfg = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

function s3Event(key: string): string {
  return JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bkt' }, object: { key, size: 3 } } }] });
}

/** The part of the SDK's streaming body the adapter uses. */
function body(text: string): never {
  return { transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } as never;
}

/** Receive hands out `messages` once, then long-polls empty until aborted. */
function serveOnce(sqs: AwsClientStub<SQSClient>, messages: Array<{ id: string; key: string }>) {
  let served = false;
  sqs.on(ReceiveMessageCommand).callsFake(async (_input: unknown, getClient: unknown) => {
    void getClient;
    if (!served) {
      served = true;
      return {
        Messages: messages.map((m) => ({ MessageId: m.id, ReceiptHandle: `rh-${m.id}`, Body: s3Event(m.key), Attributes: { ApproximateReceiveCount: '1' } })),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
    return { Messages: [] };
  });
}

const copyHandler: Handler = {
  name: 'copy',
  async handle(input) { return { body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.txt' }; },
};

describe('Worker under faults (aws-sdk-client-mock)', () => {
  const sqsClient = new SQSClient(cfg);
  const s3Client = new S3Client(cfg);
  const asgClient = new AutoScalingClient(cfg);
  const sqs = mockClient(sqsClient);
  const s3 = mockClient(s3Client);
  const asg = mockClient(asgClient);

  beforeEach(() => {
    sqs.reset(); s3.reset(); asg.reset();
    s3.on(GetObjectCommand).callsFake(async () => ({ Body: body('abc'), ETag: '"e"' }));
    s3.on(PutObjectCommand).resolves({});
    asg.on(SetInstanceProtectionCommand).resolves({});
  });

  function worker(handler: Handler, visibility: number, extra: Partial<ConstructorParameters<typeof Worker>[0]> = {}): Worker {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { VisibilityTimeout: String(visibility) } });
    return new Worker({
      queue: new SqsWorkQueue(sqsClient, QUEUE, DLQ),
      store: new S3ObjectStore(s3Client),
      handler,
      concurrency: 2,
      waitTimeSeconds: 1,
      drainMarginSeconds: 1,
      ...extra,
    });
  }

  test('a failed visibility extension aborts the job and leaves the message to the queue (no delete, no output)', async () => {
    serveOnce(sqs, [{ id: 'm1', key: 'uploads/a.jpg' }]);
    sqs.on(ChangeMessageVisibilityCommand).rejects(Object.assign(new Error('receipt handle has expired'), { name: 'ReceiptHandleIsInvalid' }));
    let sawAbort = false;
    const slow: Handler = {
      name: 'slow',
      handle: (_input, ctx) => new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => { sawAbort = true; reject(ctx.signal.reason); });
      }),
    };
    const w = worker(slow, 2);
    const lost = new Promise<{ messageId: string; error: string }>((r) => w.once('visibility_lost', r));
    await w.start();
    const ev = await lost;
    expect(ev.messageId).toBe('m1');
    expect(ev.error).toContain('ReceiptHandleIsInvalid');
    await w.drain();
    expect(sawAbort).toBe(true);
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    // Exactly the one extension attempt; no release or retry of a message we no longer own.
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input.VisibilityTimeout)).toEqual([2]);
    expect(w.stats).toMatchObject({ deleted: 0, retried: 0, released: 0 });
  });

  test('a DeleteMessageBatch that refuses one entry is reported for that message only', async () => {
    serveOnce(sqs, [{ id: 'm1', key: 'uploads/a.jpg' }, { id: 'm2', key: 'uploads/b.jpg' }]);
    sqs.on(DeleteMessageBatchCommand).callsFake(async (input: { Entries: Array<{ Id: string; ReceiptHandle: string }> }) => ({
      Successful: input.Entries.filter((e) => e.ReceiptHandle !== 'rh-m2').map((e) => ({ Id: e.Id })),
      Failed: input.Entries.filter((e) => e.ReceiptHandle === 'rh-m2').map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false, Message: 'try again' })),
    }));
    const w = worker(copyHandler, 30);
    const failed: Array<{ messageId: string; code?: string }> = [];
    const deleted: string[] = [];
    w.on('delete_failed', (e) => failed.push(e));
    w.on('message_deleted', (e) => deleted.push(e.messageId));
    await w.start();
    await new Promise<void>((resolve) => {
      const t = setInterval(() => { if (failed.length + deleted.length >= 2) { clearInterval(t); resolve(); } }, 20);
    });
    await w.drain();
    expect(deleted).toEqual(['m1']);
    expect(failed).toEqual([{ messageId: 'm2', code: 'InternalError', message: 'try again' }]);
    // Both deletes went out in one batch, after both outputs were written.
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key).sort()).toEqual(['processed/a.jpg.txt', 'processed/b.jpg.txt']);
  });

  test('lifecycle Terminated: heartbeats while a job runs past the interval, then CONTINUE after the job is done', async () => {
    serveOnce(sqs, [{ id: 'm1', key: 'uploads/a.jpg' }]);
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(DeleteMessageBatchCommand).callsFake(async (input: { Entries: Array<{ Id: string }> }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
    }));
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    asg.on(CompleteLifecycleActionCommand).resolves({});
    let finish!: () => void;
    const gate = new Promise<void>((r) => { finish = r; });
    const gated: Handler = { name: 'gated', handle: async (input) => { await gate; return copyHandler.handle(input, { signal: new AbortController().signal }); } };
    const action = { hookName: 'drain-hook', groupName: 'g', instanceId: 'i-0123' };
    const w = worker(gated, 30, {
      instance: new AutoScalingInstanceControl(asgClient, 'g', 'i-0123'),
      lifecycleAction: action,
      lifecycleHeartbeatSeconds: 1,
      drainTimeoutSeconds: 60,
    });
    const received = new Promise((r) => w.once('message_received', r));
    await w.start();
    await received;
    const stopped = w.drain({ kind: 'lifecycle-terminating' });
    await new Promise((r) => setTimeout(r, 2500));
    expect(asg.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(0);
    expect(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).length).toBeGreaterThanOrEqual(2);
    finish();
    await stopped;
    const complete = asg.commandCalls(CompleteLifecycleActionCommand);
    expect(complete).toHaveLength(1);
    expect(complete[0].args[0].input).toMatchObject({
      LifecycleHookName: 'drain-hook', AutoScalingGroupName: 'g', InstanceId: 'i-0123', LifecycleActionResult: 'CONTINUE',
    });
    // The finished job was deleted before the instance was let go, and protection was cleared.
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
    const protection = asg.commandCalls(SetInstanceProtectionCommand).map((c) => c.args[0].input.ProtectedFromScaleIn);
    expect(protection[protection.length - 1]).toBe(false);
  });

  test('a lifecycle notice that arrives while a SIGTERM drain runs is still completed', async () => {
    serveOnce(sqs, []);
    asg.on(CompleteLifecycleActionCommand).resolves({});
    const w = worker(copyHandler, 30, {
      instance: new AutoScalingInstanceControl(asgClient, 'g', 'i-0123'),
      lifecycleAction: { hookName: 'drain-hook', groupName: 'g', instanceId: 'i-0123' },
    });
    await w.start();
    const stopped = w.drain({ kind: 'sigterm' });
    void w.drain({ kind: 'lifecycle-terminating', lifecycle: { hookName: 'drain-hook', groupName: 'g', instanceId: 'i-0123', token: 'tok' } });
    await stopped;
    const complete = asg.commandCalls(CompleteLifecycleActionCommand);
    expect(complete).toHaveLength(1);
    expect(complete[0].args[0].input).toMatchObject({ LifecycleActionToken: 'tok', LifecycleActionResult: 'CONTINUE' });
  });

  test('a SIGTERM during start stops the worker without starting the loop', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    const w = worker(copyHandler, 30);
    const starting = w.start();
    await w.drain({ kind: 'sigterm' });
    await starting;
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  test('receive errors back off (no tight loop), and a drain cuts the backoff short', async () => {
    sqs.on(ReceiveMessageCommand).rejects(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }));
    const w = worker(copyHandler, 30);
    const errors: number[] = [];
    w.on('receive_error', (e) => errors.push(e.retryInSeconds));
    await w.start();
    await new Promise((r) => setTimeout(r, 2500));
    // 1 s, then ~2 s: two or three attempts in 2.5 s, not hundreds.
    expect(sqs.commandCalls(ReceiveMessageCommand).length).toBeLessThanOrEqual(3);
    expect(errors[0]).toBeGreaterThanOrEqual(1);
    const t = Date.now();
    await w.drain();
    expect(Date.now() - t).toBeLessThan(1500);
  });
});
