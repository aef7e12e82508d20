/**
 * The Worker in-process with the real AWS adapters built by `createAwsAdapters` against moto
 * server, configured only through the per-service endpoint variables (AWS_ENDPOINT_URL_S3,
 * _SQS, _AUTO_SCALING, _CLOUDWATCH: read by SDK v3 itself). Covers what is easier to observe
 * from inside: bounded concurrency and receive sizing, multi-record messages, and a Spot drain.
 */
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createGroup, createWorld, head, isProtected, queueCounts, upload, waitUntil, World } from './moto-world';
import { AwsAdapters, createAwsAdapters } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { createJsonLogger, silentLogger } from '../../../worker-runtime/src/core/logger';
import type { InterruptionNotice, InterruptionSource, ReceiveOptions, WorkQueue } from '../../../worker-runtime/src/core/ports';
import { Worker } from '../../../worker-runtime/src/core/worker';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';
import { setProcessEnv } from '../../support/process-env';

jest.setTimeout(90_000);

/** An interruption source the test triggers by hand (the IMDS one is tested against AEMM). */
class ManualInterruptions implements InterruptionSource {
  private cb?: (n: InterruptionNotice) => void;
  start(onNotice: (n: InterruptionNotice) => void): void { this.cb = onNotice; }
  stop(): void { this.cb = undefined; }
  fire(n: InterruptionNotice): void { this.cb?.(n); }
}

describeWithPeers(['MOTO_SERVER_BIN'], 'Worker with createAwsAdapters against moto server', () => {
  let moto: RunningPeer;
  let restoreEnv: (() => void) | undefined;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    moto = await startMoto();
    restoreEnv = setProcessEnv({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_ENDPOINT_URL_AUTO_SCALING: moto.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: moto.endpoint,
      // Only the per-service variables: a general endpoint would hide one the adapters failed to read.
      AWS_ENDPOINT_URL: undefined,
    });
  });

  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });

  async function adaptersFor(world: World, extra: Record<string, string> = {}): Promise<AwsAdapters> {
    const config = loadRunConfig({
      SPOT_WORKER_QUEUE_URL: world.queueUrl, SPOT_WORKER_DLQ_URL: world.dlqUrl, SPOT_WORKER_IMDS_POLL_SECONDS: '0', ...extra,
    });
    const adapters = await createAwsAdapters(config, silentLogger);
    cleanups.push(() => adapters.close());
    return adapters;
  }

  function run(w: Worker): void {
    cleanups.push(async () => { await w.drain(); });
  }

  test('never more jobs than the concurrency, and never more messages received than free slots', async () => {
    const world = await createWorld(moto.endpoint, 'conc', 30);
    const adapters = await adaptersFor(world);
    const asked: number[] = [];
    // The real adapter, with its receive calls recorded.
    const queue: WorkQueue = Object.assign(Object.create(adapters.queue) as WorkQueue, {
      receive: (o: ReceiveOptions) => { asked.push(o.maxMessages); return adapters.queue.receive(o); },
    });
    let current = 0;
    let peak = 0;
    const handler: Handler = {
      name: 'count',
      async handle(input) {
        current += 1;
        peak = Math.max(peak, current);
        await new Promise((r) => setTimeout(r, 300));
        current -= 1;
        return { body: new Uint8Array(input.body), contentType: 'image/jpeg', extension: '.copy' };
      },
    };
    // prefetch 0: receive only for free slots (prefetching is covered by test/runtime/core/worker-prefetch.test.ts).
    const w = new Worker({ queue, store: adapters.store, handler, concurrency: 2, prefetch: 0, waitTimeSeconds: 1 });
    run(w);
    for (let i = 0; i < 6; i++) await upload(world, `uploads/n${i}.jpg`, Buffer.from(`img ${i}`));
    await w.start();
    for (let i = 0; i < 6; i++) await waitUntil(`output ${i}`, () => head(world, `processed/n${i}.jpg.copy`), 20_000);
    expect(peak).toBe(2);
    expect(Math.max(...asked)).toBeLessThanOrEqual(2);
    await waitUntil('queue empty', async () => {
      const c = await queueCounts(world.sqs, world.queueUrl);
      return c.visible + c.inFlight === 0;
    }, 10_000);
  });

  test('a message with several records is deleted only when all are done: one transient failure keeps it', async () => {
    const world = await createWorld(moto.endpoint, 'multi', 30);
    const adapters = await adaptersFor(world, { SPOT_WORKER_RETRY_BASE_SECONDS: '30' });
    await upload(world, 'uploads/present.jpg', Buffer.from('x'));
    // Drop the notification S3 sent for the upload: this test feeds one hand-made two-record event.
    await waitUntil('notification arrived', async () => (await queueCounts(world.sqs, world.queueUrl)).visible >= 1, 5_000);
    await world.sqs.send(new PurgeQueueCommand({ QueueUrl: world.queueUrl }));
    const rec = (bucket: string, key: string) => ({ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key } } });
    await world.sqs.send(new SendMessageCommand({
      QueueUrl: world.queueUrl,
      MessageBody: JSON.stringify({ Records: [rec(world.bucket, 'uploads/present.jpg'), rec('bucket-that-does-not-exist', 'uploads/other.jpg')] }),
    }));
    const handler: Handler = { name: 'copy', handle: async (i) => ({ body: new Uint8Array(i.body), contentType: 'text/plain', extension: '.copy' }) };
    const w = new Worker({ queue: adapters.queue, store: adapters.store, handler, concurrency: 1, waitTimeSeconds: 1, backoff: { baseSeconds: 30 } });
    run(w);
    const retry = new Promise<{ delaySeconds: number; error: string }>((r) => w.once('message_retry', r));
    await w.start();
    const ev = await retry;
    expect(ev.delaySeconds).toBeGreaterThanOrEqual(15);
    expect(await head(world, 'processed/present.jpg.copy')).toBeDefined();
    expect(w.stats.deleted).toBe(0);
    // Still in the queue (invisible for the backoff), not deleted and not dead-lettered.
    expect(await queueCounts(world.sqs, world.queueUrl)).toEqual({ visible: 0, inFlight: 1 });
    expect((await queueCounts(world.sqs, world.dlqUrl)).visible).toBe(0);
  });

  test('Spot interruption: the job that fits finishes and is deleted, the other is released, protection cleared', async () => {
    const world = await createWorld(moto.endpoint, 'spot', 60);
    const group = await createGroup(moto.endpoint, 'spot-asg');
    const adapters = await adaptersFor(world, { SPOT_WORKER_ASG_NAME: group.groupName, SPOT_WORKER_INSTANCE_ID: group.instanceId });
    expect(adapters.instance).toBeDefined();
    const interruptions = new ManualInterruptions();
    const running = new Set<string>();
    const handler: Handler = {
      name: 'timed',
      handle: (input, ctx) => new Promise((resolve, reject) => {
        running.add(input.key);
        if (input.key.includes('fast')) {
          setTimeout(() => resolve({ body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.copy' }), 800);
        } else {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }
      }),
    };
    const w = new Worker({
      queue: adapters.queue,
      store: adapters.store,
      handler,
      instance: adapters.instance,
      interruptions,
      concurrency: 2,
      waitTimeSeconds: 1,
      drainMarginSeconds: 1,
      idleGraceSeconds: 60,
      logger: process.env.DEBUG_WORKER ? createJsonLogger({ level: 'debug' }) : silentLogger,
    });
    run(w);
    await w.start();
    await upload(world, 'uploads/slow.jpg', Buffer.from('s'));
    await waitUntil('slow job running', async () => running.has('uploads/slow.jpg'), 10_000);
    await upload(world, 'uploads/fast.jpg', Buffer.from('f'));
    await waitUntil('fast job running', async () => running.has('uploads/fast.jpg'), 10_000);
    expect(await isProtected(world.asg, group.instanceId)).toBe(true);

    interruptions.fire({ kind: 'spot-interruption', deadline: new Date(Date.now() + 4000) });
    await w.stopped;
    expect(await head(world, 'processed/fast.jpg.copy')).toBeDefined();
    expect(await head(world, 'processed/slow.jpg.copy')).toBeUndefined();
    expect(w.stats).toMatchObject({ released: 1, inFlight: 0 });
    // Released (visibility 0), so another instance can take it now, not in 60 s.
    expect(await queueCounts(world.sqs, world.queueUrl)).toEqual({ visible: 1, inFlight: 0 });
    expect(await isProtected(world.asg, group.instanceId)).toBe(false);
  });
});
