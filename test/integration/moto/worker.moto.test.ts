/**
 * `spot-worker run` as a real child process against moto server: real S3 → SQS notifications,
 * the DLQ, Auto Scaling instance protection and CloudWatch metrics.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import sharp from 'sharp';
import {
  createGroup, createWorld, ensureRuntimeCompiled, head, isProtected, peekDeadLetters, queueCounts, RunningWorker, startWorker,
  stopWorker, upload, waitUntil,
} from './moto-world';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';

jest.setTimeout(120_000);

async function jpeg(r: number, g: number, b: number): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g, b } } }).jpeg({ quality: 80 }).toBuffer();
}

function logged(w: RunningWorker, msg: string): Array<Record<string, unknown>> {
  return w.logs.filter((l) => l.msg === msg);
}

describeWithPeers(['MOTO_SERVER_BIN'], 'spot-worker run against moto server', () => {
  let moto: RunningPeer;
  const workers: RunningWorker[] = [];
  let tmp: string;

  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spot-worker-moto-'));
  });

  afterAll(async () => {
    for (const w of workers) await stopWorker(w, 'SIGKILL');
    await moto?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  function worker(...args: Parameters<typeof startWorker>): RunningWorker {
    const w = startWorker(...args);
    workers.push(w);
    return w;
  }

  test('hard keys become PDFs with source metadata; bad inputs reach the DLQ with reasons; protection follows busy periods', async () => {
    const world = await createWorld(moto.endpoint, 'keys', 30, true);
    const group = await createGroup(moto.endpoint, 'keys-asg');
    // Stale protection from a previous life of this instance: cleared at start.
    await world.asg.send(new SetInstanceProtectionCommand({
      AutoScalingGroupName: group.groupName, InstanceIds: [group.instanceId], ProtectedFromScaleIn: true,
    }));
    expect(await isProtected(world.asg, group.instanceId)).toBe(true);

    const w = worker(moto.endpoint, world, {
      SPOT_WORKER_ASG_NAME: group.groupName,
      SPOT_WORKER_INSTANCE_ID: group.instanceId,
      SPOT_WORKER_IDLE_GRACE_SECONDS: '3',
      SPOT_WORKER_FLEET_NAME: 'moto',
    });
    await waitUntil('worker started', async () => logged(w, 'worker started').length > 0, 20_000);
    await waitUntil('stale protection cleared', async () => !(await isProtected(world.asg, group.instanceId)), 10_000);

    const good: Record<string, string> = {
      'uploads/My Photos/a b.jpg': 'processed/My Photos/a b.jpg.pdf',
      'uploads/c+d.JPG': 'processed/c+d.JPG.pdf',
      'uploads/été/café.jpeg': 'processed/été/café.jpeg.pdf',
      'uploads/deep/ly/nested/x.photo.jpg': 'processed/deep/ly/nested/x.photo.jpg.pdf',
      'uploads/y.photo.jpg': 'processed/y.photo.jpg.pdf',
      'uploads/100% real.jpg': 'processed/100% real.jpg.pdf',
    };
    let sawProtected = false;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        if (await isProtected(world.asg, group.instanceId)) sawProtected = true;
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    const img = await jpeg(200, 40, 40);
    for (const key of Object.keys(good)) await upload(world, key, img);
    await upload(world, 'uploads/bad/truncated.jpg', img.subarray(0, Math.floor(img.length / 2)));
    await upload(world, 'uploads/bad/empty.jpg', new Uint8Array());
    await upload(world, 'uploads/bad/not-an-image.jpg', Buffer.from('this is not an image\n'));
    await world.sqs.send(new SendMessageCommand({ QueueUrl: world.queueUrl, MessageBody: 'not an S3 event' }));

    for (const [src, out] of Object.entries(good)) {
      const h = await waitUntil(`output ${out}`, () => head(world, out), 30_000);
      expect(h.contentType).toBe('application/pdf');
      expect(decodeURIComponent(h.metadata['source-key'])).toBe(src);
      expect(h.metadata['source-bucket']).toBe(world.bucket);
      expect(h.metadata['source-etag']).toMatch(/^[0-9a-f]{32}$/);
      // Versioned bucket: the output names the exact source version it was made from.
      expect(h.metadata['source-version-id']).toBeTruthy();
    }

    const pdf = await world.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: good['uploads/été/café.jpeg'] }));
    expect(Buffer.from(await pdf.Body!.transformToByteArray()).subarray(0, 5).toString()).toBe('%PDF-');

    const dead = await waitUntil('4 dead letters', async () => {
      const c = await queueCounts(world.sqs, world.dlqUrl);
      return c.visible >= 4 ? c : undefined;
    }, 30_000);
    expect(dead.visible).toBe(4);
    const letters = await peekDeadLetters(world.sqs, world.dlqUrl, 4);
    const byKey = Object.fromEntries(letters.map((m) => [
      m.MessageAttributes?.SourceKey?.StringValue ?? '(none)',
      { kind: m.MessageAttributes?.FailureKind?.StringValue, reason: m.MessageAttributes?.FailureReason?.StringValue ?? '' },
    ]));
    expect(Object.keys(byKey).sort()).toEqual(['(none)', 'uploads/bad/empty.jpg', 'uploads/bad/not-an-image.jpg', 'uploads/bad/truncated.jpg']);
    expect(byKey['(none)'].kind).toBe('malformed-event');
    for (const k of ['uploads/bad/empty.jpg', 'uploads/bad/not-an-image.jpg', 'uploads/bad/truncated.jpg']) {
      expect(byKey[k].kind).toBeTruthy();
      expect(byKey[k].reason.length).toBeGreaterThan(5);
    }
    // Nothing for the bad inputs was written.
    expect(await head(world, 'processed/bad/truncated.jpg.pdf')).toBeUndefined();

    await waitUntil('work queue empty', async () => {
      const c = await queueCounts(world.sqs, world.queueUrl);
      return c.visible === 0 && c.inFlight === 0;
    }, 20_000);
    await waitUntil('protection cleared after the idle grace period', async () => !(await isProtected(world.asg, group.instanceId)), 15_000);
    watching = false;
    await watcher;
    expect(sawProtected).toBe(true);
    // Protection follows busy periods: one set and one clear for this burst, not one per message.
    expect(logged(w, 'scale-in protection set').length).toBeLessThanOrEqual(2);

    expect(await stopWorker(w)).toBe(0);
    expect(logged(w, 'stopped')).toHaveLength(1);
    // Logs carry keys and ids, never message bodies or receipt handles.
    for (const line of w.logs) {
      expect(line).not.toHaveProperty('receiptHandle');
      expect(JSON.stringify(line)).not.toContain('"Records"');
    }

    const cw = new CloudWatchClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const metrics = await cw.send(new ListMetricsCommand({ Namespace: 'SpotWorkerFleet' }));
    const names = new Set((metrics.Metrics ?? []).map((m) => m.MetricName));
    expect([...names]).toEqual(expect.arrayContaining(['ImagesProcessed', 'ProcessingTime', 'JobFailures', 'BusyTime']));
    const failureKinds = (metrics.Metrics ?? []).filter((m) => m.MetricName === 'JobFailures')
      .map((m) => m.Dimensions?.find((d) => d.Name === 'Kind')?.Value);
    expect(failureKinds).toContain('malformed-event');
    const processed = await cw.send(new GetMetricStatisticsCommand({
      Namespace: 'SpotWorkerFleet',
      MetricName: 'ImagesProcessed',
      Dimensions: [{ Name: 'Fleet', Value: 'moto' }],
      StartTime: new Date(Date.now() - 600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 60,
      Statistics: ['Sum'],
    }));
    expect((processed.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0)).toBe(Object.keys(good).length);
  });

  test('a worker killed with SIGKILL mid-job loses nothing: the message comes back and is finished by the next worker', async () => {
    const world = await createWorld(moto.endpoint, 'kill', 4);
    const marker = path.join(tmp, 'slow-started');
    const slow = worker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: `touch '${marker}'; sleep 30; cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"`,
    });
    await upload(world, 'uploads/slow one.jpg', await jpeg(10, 200, 10));
    await waitUntil('the slow command started', async () => fs.existsSync(marker), 20_000);
    slow.child.kill('SIGKILL');
    await slow.exited;
    expect(await head(world, 'processed/slow one.jpg.out')).toBeUndefined();

    const fast = worker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"',
    });
    const out = await waitUntil('output after redelivery', () => head(world, 'processed/slow one.jpg.out'), 30_000);
    expect(decodeURIComponent(out.metadata['source-key'])).toBe('uploads/slow one.jpg');
    const processed = logged(fast, 'object processed');
    expect(processed.map((l) => l.key)).toEqual(['uploads/slow one.jpg']);
    // The same message, redelivered after the dead worker's visibility ran out.
    expect(processed[0].receiveCount).toBeGreaterThanOrEqual(2);
    await waitUntil('work queue empty', async () => {
      const c = await queueCounts(world.sqs, world.queueUrl);
      return c.visible === 0 && c.inFlight === 0;
    }, 15_000);
    expect((await queueCounts(world.sqs, world.dlqUrl)).visible).toBe(0);
    expect(await stopWorker(fast)).toBe(0);
  });

  test('a transient failure is retried through the visibility timeout, then succeeds', async () => {
    const world = await createWorld(moto.endpoint, 'retry', 30);
    const flag = path.join(tmp, 'failed-once');
    const w = worker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: `if [ ! -e '${flag}' ]; then touch '${flag}'; echo 'flaky upstream' >&2; exit 1; fi; cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"`,
    });
    await upload(world, 'uploads/flaky.jpg', await jpeg(1, 2, 3));
    await waitUntil('output after retry', () => head(world, 'processed/flaky.jpg.out'), 30_000);
    const retry = logged(w, 'will retry');
    expect(retry).toHaveLength(1);
    // The visibility timeout is 30 s: the retry came back after the backoff (1–2 s), not after 30 s.
    expect(retry[0].delaySeconds).toBeLessThanOrEqual(2);
    expect(String(retry[0].error)).toContain('flaky upstream');
    expect((await queueCounts(world.sqs, world.dlqUrl)).visible).toBe(0);
    expect(await stopWorker(w)).toBe(0);
  });

  test('SIGTERM drains: the unfinished job is released at once (visibility 0) and the worker exits 0', async () => {
    const world = await createWorld(moto.endpoint, 'drain', 120);
    const w = worker(moto.endpoint, world, {
      SPOT_WORKER_HANDLER: 'command',
      SPOT_WORKER_HANDLER_COMMAND: 'sleep 60; cp "$SPOT_WORKER_INPUT_FILE" "$SPOT_WORKER_OUTPUT_FILE"',
      SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: '12',
      SPOT_WORKER_RECEIVE_WAIT_SECONDS: '4',
    });
    await upload(world, 'uploads/long.jpg', await jpeg(9, 9, 9));
    await waitUntil('job started', async () => logged(w, 'message received').length > 0, 20_000);
    const started = Date.now();
    expect(await stopWorker(w, 'SIGTERM', 30_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    // Released, not left to the 120 s visibility timeout.
    const c = await queueCounts(world.sqs, world.queueUrl);
    expect(c).toEqual({ visible: 1, inFlight: 0 });
    expect(await head(world, 'processed/long.jpg.out')).toBeUndefined();
  });
});
