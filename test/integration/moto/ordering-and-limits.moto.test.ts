/**
 * Issue 11, items 5 and 7, on moto server. Ordering: with versioning, events for the same key
 * are handled in any order and more than once, yet the output always comes from the newest
 * upload (the event's version is read, outputs record their event's sequencer, writes are
 * conditional). Limits: moto accepts over-long keys, over-large metadata and control characters
 * that S3 and SQS refuse, so the runtime checks them itself: such uploads end in the DLQ at once
 * with their reason, in attribute values SendMessage accepts.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createWorld, head, peekDeadLetters, queueCounts, waitUntil, World } from './moto-world';
import { createAwsAdapters } from '../../../worker-runtime/src/adapters/aws/aws-adapters';
import { loadRunConfig } from '../../../worker-runtime/src/core/config';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { runJob } from '../../../worker-runtime/src/core/job';
import { KeyMapper } from '../../../worker-runtime/src/core/key-mapping';
import { silentLogger } from '../../../worker-runtime/src/core/logger';
import type { ObjectStore, QueueMessage } from '../../../worker-runtime/src/core/ports';
import { Worker } from '../../../worker-runtime/src/core/worker';
import { describeWithPeers, motoEnv, RunningPeer, startMoto } from '../../support/peers';

const ENV_KEYS = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_ENDPOINT_URL'];

/** Copies its input (so the output shows which version was read) to `<key>.pdf`. */
const copyHandler: Handler = {
  name: 'copy',
  async handle(input) { return { body: new Uint8Array(input.body), contentType: 'application/pdf', extension: '.pdf' }; },
};

const keys = new KeyMapper({ inputPrefix: 'uploads/', outputPrefix: 'processed/' });

/** An upload as S3 records it: its version and the sequencer its event carries. */
interface Uploaded { readonly etag: string; readonly versionId: string; readonly sequencer: string }

let sequence = 0x6a00000000000000n;

/** Uploads and remembers the version (S3 puts it and a growing sequencer into the event). */
async function put(w: World, key: string, body: string): Promise<Uploaded> {
  const r = await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: key, Body: Buffer.from(body) }));
  sequence += 0x10000n;
  return { etag: r.ETag!.replace(/"/g, ''), versionId: r.VersionId!, sequencer: sequence.toString(16).toUpperCase() };
}

/**
 * The events moto sent for the uploads, taken off the queue. moto's notifications leave out the
 * object's `versionId` and `sequencer` (moto/s3/notifications.py, _get_s3_event), which S3 always
 * sends; they are added here from the uploads (matched by ETag), the rest is moto's event as sent.
 */
async function eventsFor(w: World, uploads: readonly Uploaded[]): Promise<QueueMessage[]> {
  const out: Message[] = [];
  await waitUntil(`${uploads.length} events`, async () => {
    const r = await w.sqs.send(new ReceiveMessageCommand({ QueueUrl: w.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of r.Messages ?? []) {
      // The s3:TestEvent sent when the notification was configured carries no records.
      if (JSON.parse(m.Body!).Records) out.push(m);
      await w.sqs.send(new DeleteMessageCommand({ QueueUrl: w.queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    return out.length >= uploads.length;
  }, 20_000);
  return uploads.map((u) => {
    const m = out.find((e) => JSON.parse(e.Body!).Records[0].s3.object.eTag === u.etag)!;
    const doc = JSON.parse(m.Body!);
    Object.assign(doc.Records[0].s3.object, { versionId: u.versionId, sequencer: u.sequencer });
    return { messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: JSON.stringify(doc), receiveCount: 1 };
  });
}

async function text(w: World, key: string): Promise<string> {
  const r = await w.s3.send(new GetObjectCommand({ Bucket: w.bucket, Key: key }));
  return r.Body!.transformToString();
}

describeWithPeers(['MOTO_SERVER_BIN'], 'ordering and S3/SQS limits against moto server', () => {
  let moto: RunningPeer;
  let store: ObjectStore;
  let close: () => void;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    moto = await startMoto();
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    Object.assign(process.env, motoEnv(moto.endpoint));
    const adapters = await createAwsAdapters(loadRunConfig({
      SPOT_WORKER_QUEUE_URL: 'http://127.0.0.1/1/q', SPOT_WORKER_DLQ_URL: 'http://127.0.0.1/1/d', SPOT_WORKER_IMDS_POLL_SECONDS: '0',
    }), silentLogger);
    store = adapters.store;
    close = adapters.close;
  });
  afterAll(async () => {
    close?.();
    for (const k of ENV_KEYS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
    await moto?.stop();
  });

  test('an older event never overwrites a newer output: each event reads its own version, a late or repeated one is skipped', async () => {
    const w = await createWorld(moto.endpoint, 'order', 30, true);
    const v1 = await put(w, 'uploads/a.jpg', 'version one');
    const v2 = await put(w, 'uploads/a.jpg', 'version two');
    const [e1, e2] = await eventsFor(w, [v1, v2]);
    const deps = { store, handler: copyHandler, keys };
    const signal = new AbortController().signal;

    // v1's event first: it converts v1 (its own version), though v2 is current by now.
    const first = await runJob(e1, deps, signal);
    expect(first.records[0].status).toBe('written');
    expect(await text(w, 'processed/a.jpg.pdf')).toBe('version one');
    // v2's event: newer, so it replaces the output.
    expect((await runJob(e2, deps, signal)).records[0].status).toBe('written');
    expect(await text(w, 'processed/a.jpg.pdf')).toBe('version two');
    // v1's event again (a redelivery, or the slow copy finishing last): skipped, the output stays v2's.
    const late = await runJob(e1, deps, signal);
    expect(late.action).toBe('delete');
    expect(late.records[0]).toMatchObject({ status: 'ignored', reason: 'newer-output' });
    // v2's event delivered twice: the second copy finds its own output and writes nothing.
    expect((await runJob(e2, deps, signal)).records[0]).toMatchObject({ status: 'ignored', reason: 'already-current' });
    expect(await text(w, 'processed/a.jpg.pdf')).toBe('version two');
    expect((await head(w, 'processed/a.jpg.pdf'))!.metadata['source-version-id']).toBe(encodeURIComponent(v2.versionId));
  });

  test('a write that lost a race is not forced through: the output written meanwhile by a newer event stays', async () => {
    const w = await createWorld(moto.endpoint, 'race', 30, true);
    const [eFirst, eOld, eNew] = await eventsFor(w, [await put(w, 'uploads/r.jpg', 'first'), await put(w, 'uploads/r.jpg', 'old'), await put(w, 'uploads/r.jpg', 'new')]);
    expect((await runJob(eFirst, { store, handler: copyHandler, keys }, new AbortController().signal)).records[0].status).toBe('written');
    // The old event's job finds an output (its blind If-None-Match write is refused) and looks at it;
    // right then the new event's job runs and writes. The old job's write, conditional on what it
    // saw, must fail, and its second look skip.
    let raced = false;
    const racingStore: ObjectStore = {
      getObject: (...a) => store.getObject(...a),
      putObject: (...a) => store.putObject(...a),
      async headObject(...a) {
        const seen = await store.headObject(...a);
        if (!raced) {
          raced = true;
          expect((await runJob(eNew, { store, handler: copyHandler, keys }, new AbortController().signal)).records[0].status).toBe('written');
        }
        return seen;
      },
    };
    const old = await runJob(eOld, { store: racingStore, handler: copyHandler, keys }, new AbortController().signal);
    expect(raced).toBe(true);
    expect(old.records[0]).toMatchObject({ status: 'ignored', reason: 'newer-output' });
    expect(await text(w, 'processed/r.jpg.pdf')).toBe('new');
  });

  test('a blind first write that loses the race to a newer event is refused, and the job then leaves that output alone', async () => {
    const w = await createWorld(moto.endpoint, 'blind', 30, true);
    const [eOld, eNew] = await eventsFor(w, [await put(w, 'uploads/r.jpg', 'old'), await put(w, 'uploads/r.jpg', 'new')]);
    // No output yet: the old job writes blind (If-None-Match *); the new job writes just before it.
    let raced = false;
    const racingStore: ObjectStore = {
      getObject: (...a) => store.getObject(...a),
      headObject: (...a) => store.headObject(...a),
      async putObject(...a) {
        if (!raced) {
          raced = true;
          expect((await runJob(eNew, { store, handler: copyHandler, keys }, new AbortController().signal)).records[0].status).toBe('written');
        }
        return store.putObject(...a);
      },
    };
    const old = await runJob(eOld, { store: racingStore, handler: copyHandler, keys }, new AbortController().signal);
    expect(raced).toBe(true);
    expect(old.records[0]).toMatchObject({ status: 'ignored', reason: 'newer-output' });
    expect(await text(w, 'processed/r.jpg.pdf')).toBe('new');
  });

  describe('limits moto does not enforce, checked by the runtime', () => {
    let w: World;
    let worker: Worker | undefined;
    let deadLetters: Message[];
    beforeAll(async () => {
      w = await createWorld(moto.endpoint, 'limits', 30);
      // moto takes all three (S3 would refuse the first two outputs; SQS the third's attribute).
      const cjk = `uploads/${'画'.repeat(222)}.jpg`; // 8 + 666 + 4 = 678 bytes; percent-encoded ×3 in metadata
      const long = `uploads/${'k'.repeat(1008)}.jpg`; // 1,020 bytes → processed/….jpg.pdf = 1,026 bytes
      const control = 'uploads/tab\tbell\u0007.jpg';
      for (const key of [cjk, long, control]) await w.s3.send(new PutObjectCommand({ Bucket: w.bucket, Key: key, Body: Buffer.from('x') }));
      const adapters = await createAwsAdapters(loadRunConfig({
        SPOT_WORKER_QUEUE_URL: w.queueUrl, SPOT_WORKER_DLQ_URL: w.dlqUrl, SPOT_WORKER_IMDS_POLL_SECONDS: '0',
      }), silentLogger);
      worker = new Worker({
        queue: adapters.queue, store: adapters.store, handler: copyHandler, concurrency: 3, waitTimeSeconds: 1, drainMarginSeconds: 1,
      });
      await worker.start();
      try {
        await waitUntil('three dead letters, queue empty', async () => {
          const q = await queueCounts(w.sqs, w.queueUrl);
          return worker!.stats.deadLettered === 3 && q.visible === 0 && q.inFlight === 0;
        }, 30_000);
      } finally {
        await worker.drain();
        adapters.close();
      }
      deadLetters = await peekDeadLetters(w.sqs, w.dlqUrl, 3);
    });

    async function deadLetter(kind: string): Promise<Message> {
      const m = deadLetters.find((d) => d.MessageAttributes?.FailureKind?.StringValue === kind);
      const kinds = deadLetters.map((d) => d.MessageAttributes?.FailureKind?.StringValue);
      if (!m) throw new Error(`no DLQ message of kind ${kind}; got ${kinds.join(', ')}`);
      return m;
    }

    test('metadata over 2 KB (a 678-byte CJK key, percent-encoded) is a permanent failure with its reason, not endless retries', async () => {
      const m = await deadLetter('metadata-too-large');
      expect(m.MessageAttributes!.FailureReason.StringValue).toMatch(/over S3's 2048/);
      expect(Number(m.MessageAttributes!.ReceiveCount.StringValue)).toBe(1);
    });

    test('an output key over 1,024 bytes is a permanent failure with its reason', async () => {
      const m = await deadLetter('output-key-too-long');
      expect(m.MessageAttributes!.FailureReason.StringValue).toMatch(/1026 bytes, over S3's 1024/);
    });

    test('a key with control characters is a permanent failure, and its DLQ attributes hold only characters SQS accepts', async () => {
      const m = await deadLetter('key-has-control-characters');
      const sourceKey = m.MessageAttributes!.SourceKey.StringValue!;
      expect(sourceKey).toBe('uploads/tab\tbell\\u0007.jpg');
      for (const a of Object.values(m.MessageAttributes!)) {
        expect(a.StringValue).not.toMatch(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
      }
    });

    test('nothing was written for any of them', async () => {
      expect(await head(w, 'processed/tab\tbell\u0007.jpg.pdf')).toBeUndefined();
    });
  });
});
