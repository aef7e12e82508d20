/**
 * Issue 11, Must show: 40 uploads against moto server; one worker SIGKILLed mid-batch, one
 * message delivered twice, and one worker whose CloudWatch endpoint accepts connections and never
 * answers (a local TCP server). Exactly one current PDF per image, nothing lost (queue and DLQ
 * empty), and every worker that was asked to stop exits 0 within its documented bound
 * (docs/runtime.md, "Drain": the drain timeout, then the drain's cleanup budget).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  createWorld, ensureRuntimeCompiled, head, peekDeadLetters, queueCounts, RunningWorker, startWorker, stopWorker, upload, waitUntil, World,
} from './moto-world';
import { DEFAULT_DRAIN_CLEANUP_SECONDS } from '../../../worker-runtime/src/core/worker';
import { describeWithPeers, RunningPeer, startMoto } from '../../support/peers';
import { SilentServer, startSilentServer } from '../silent-endpoint/silent-endpoint';

const IMAGES = ['skimage_rocket.jpg', 'var_gray_rocket.jpg', 'plasma_Kite_screenshot.jpg', 'imdoc_images_wizard.jpg']
  .map((f) => fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'images', f)));
const UPLOADS = 40;
const DRAIN_TIMEOUT_SECONDS = 10;
const keyOf = (i: number) => `uploads/batch/img-${String(i).padStart(2, '0')}.jpg`;

/**
 * docs/runtime.md, "Drain": after SIGTERM the drain (deadline, margin included), then its own calls
 * (deletes, protection, metrics) within the cleanup budget, then the process exits (a few seconds
 * allowed for closing the clients and exiting).
 */
const EXIT_BOUND_MS = (DRAIN_TIMEOUT_SECONDS + DEFAULT_DRAIN_CLEANUP_SECONDS + 5) * 1000;

async function outputs(w: World): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await w.s3.send(new ListObjectsV2Command({ Bucket: w.bucket, Prefix: 'processed/', ContinuationToken: token }));
    keys.push(...(r.Contents ?? []).map((c) => c.Key!));
    token = r.NextContinuationToken;
  } while (token);
  return keys.sort();
}

/** Stops a worker with SIGTERM; returns its exit code and how long it took (compared with the documented bound). */
async function stopTimed(worker: RunningWorker): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  const code = await stopWorker(worker, 'SIGTERM', EXIT_BOUND_MS + 30_000);
  return { code, ms: Date.now() - t0 };
}

describeWithPeers(['MOTO_SERVER_BIN'], 'chaos on moto: SIGKILL mid-batch, a duplicate delivery, an endpoint that never answers', () => {
  let moto: RunningPeer;
  let silent: SilentServer;
  const workers: RunningWorker[] = [];
  beforeAll(async () => {
    ensureRuntimeCompiled();
    moto = await startMoto();
    silent = await startSilentServer();
  });
  afterAll(async () => {
    for (const w of workers) await stopWorker(w, 'SIGKILL');
    await silent?.close();
    await moto?.stop();
  });

  test('exactly one current PDF per image, nothing lost, every worker exits within its bounds', async () => {
    // Short visibility, so the killed worker's messages come back within the test.
    const w = await createWorld(moto.endpoint, 'chaos', 6);
    for (let i = 0; i < UPLOADS; i++) await upload(w, keyOf(i), IMAGES[i % IMAGES.length]);

    // One message delivered twice: a copy of one event, as S3's at-least-once delivery may send it.
    // One look (a receive counts towards the redrive's maxReceiveCount), visibility 0 so it stays available.
    const look = await w.sqs.send(new ReceiveMessageCommand({
      QueueUrl: w.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 1,
    }));
    const one = (look.Messages ?? []).find((m) => JSON.parse(m.Body!).Records)!;
    expect(one).toBeDefined();
    await w.sqs.send(new SendMessageCommand({ QueueUrl: w.queueUrl, MessageBody: one.Body! }));

    // The victim: slow (decode validation, one job at a time), so it is mid-batch when killed.
    const victim = startWorker(moto.endpoint, w, { SPOT_WORKER_CONCURRENCY: '1', SPOT_WORKER_VALIDATE_DECODE: 'true', SPOT_WORKER_METRICS: 'none' });
    workers.push(victim);
    await waitUntil('the victim has converted a few', async () => (await outputs(w)).length >= 3, 60_000, 100);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const atKill = (await outputs(w)).length;
    const held = await queueCounts(w.sqs, w.queueUrl);
    expect(atKill).toBeLessThan(UPLOADS); // really mid-batch
    expect(held.inFlight).toBeGreaterThan(0); // it died holding messages (they come back after 6 s)

    // The survivors: one ordinary; one whose CloudWatch endpoint accepts and never answers.
    const steady = startWorker(moto.endpoint, w, { SPOT_WORKER_METRICS: 'none', SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: String(DRAIN_TIMEOUT_SECONDS) });
    const stuckMetrics = startWorker(moto.endpoint, w, {
      SPOT_WORKER_METRICS: 'cloudwatch', AWS_ENDPOINT_URL_CLOUDWATCH: silent.endpoint, SPOT_WORKER_DRAIN_TIMEOUT_SECONDS: String(DRAIN_TIMEOUT_SECONDS),
    });
    workers.push(steady, stuckMetrics);

    await waitUntil('every image converted and the queue empty', async () => {
      const q = await queueCounts(w.sqs, w.queueUrl);
      return (await outputs(w)).length >= UPLOADS && q.visible === 0 && q.inFlight === 0;
    }, 180_000, 500);

    const [a, b] = await Promise.all([stopTimed(steady), stopTimed(stuckMetrics)]);
    if (process.env.CHAOS_REPORT) process.stderr.write(`exit after SIGTERM: steady ${a.ms} ms, silent-CloudWatch ${b.ms} ms (bound ${EXIT_BOUND_MS} ms); outputs at kill ${atKill}\n`);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.ms).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect(b.ms).toBeLessThanOrEqual(EXIT_BOUND_MS);
    // The silent endpoint was really asked (the metrics flush at drain) and never answered.
    expect(silent.connections).toBeGreaterThan(0);

    // Exactly one PDF per image, at its mapped key, from its source.
    const out = await outputs(w);
    expect(out).toEqual(Array.from({ length: UPLOADS }, (_, i) => `processed/batch/img-${String(i).padStart(2, '0')}.jpg.pdf`));
    for (let i = 0; i < UPLOADS; i++) {
      const h = await head(w, out[i]);
      expect(decodeURIComponent(h!.metadata['source-key'])).toBe(keyOf(i));
      expect(h!.contentType).toBe('application/pdf');
    }
    const first = await w.s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: out[0] }));
    expect(Buffer.from(await first.Body!.transformToByteArray()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Nothing lost, nothing dead-lettered.
    expect(await queueCounts(w.sqs, w.queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(await peekDeadLetters(w.sqs, w.dlqUrl, 1)).toEqual([]);
  }, 420_000);
});
