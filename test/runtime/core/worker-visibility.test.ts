/**
 * Issue 11, item 4: a delivery's visibility under races and limits, against the project's own
 * durable queue (local mode's FileQueue: real files, real visibility timeouts). A thin wrapper
 * passes every call through and can hold back or fail one ChangeMessageVisibility, which is the
 * fault here: a renewal still in flight when the job settles, and a throttled renewal. No peer
 * produces either on demand (moto answers at once and never throttles).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import { TransientError } from '../../../worker-runtime/src/core/errors';
import type { Handler, HandlerContext } from '../../../worker-runtime/src/core/handler';
import type { DeleteEntry, DeleteResult, QueueMessage, ReceiveOptions, WorkQueue } from '../../../worker-runtime/src/core/ports';
import { VisibilityExtender } from '../../../worker-runtime/src/core/visibility-extender';
import { Worker } from '../../../worker-runtime/src/core/worker';
import { sleep } from '../../../worker-runtime/src/util/sleep';

/** Passes calls to the real queue; records the visibility calls that reached it; may hold or fail one. */
class FaultyVisibilityQueue implements WorkQueue {
  /** Visibility calls as the real queue received them, in order. */
  readonly applied: number[] = [];
  /** Visibility calls as the worker made them (before any hold). */
  readonly requested: number[] = [];
  /** Set: the next renewal is held until `release()`. */
  holdNextRenewal = false;
  /** How many renewals still fail (as a throttled request would). */
  failRenewals = 0;
  renewalHeld?: Promise<void>;
  private releaseHeld?: () => void;
  constructor(private readonly inner: FileQueue, private readonly renewalSeconds: number) {}
  receive(options: ReceiveOptions): Promise<QueueMessage[]> { return this.inner.receive(options); }
  deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult> { return this.inner.deleteBatch(entries); }
  sendToDeadLetter: WorkQueue['sendToDeadLetter'] = (m, r) => this.inner.sendToDeadLetter(m, r);
  visibilityTimeoutSeconds(): Promise<number> { return this.inner.visibilityTimeoutSeconds(); }
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    this.requested.push(seconds);
    if (seconds === this.renewalSeconds && this.failRenewals > 0) {
      this.failRenewals -= 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    if (seconds === this.renewalSeconds && this.holdNextRenewal) {
      this.holdNextRenewal = false;
      this.renewalHeld = new Promise<void>((r) => { this.releaseHeld = r; });
      await this.renewalHeld;
    }
    await this.inner.changeVisibility(receiptHandle, seconds);
    this.applied.push(seconds);
  }
  release(): void { this.releaseHeld?.(); }
}

async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

/** Rejects when the job is aborted; otherwise waits for `go`. */
function abortable(ctx: HandlerContext, go: Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    void go.then(resolve);
  });
}

describe('visibility of a held delivery', () => {
  let dir: string;
  let queue: FileQueue;
  let bucket: LocalBucket;
  const workers: Worker[] = [];

  /** A queue, and a bucket whose upload of uploads/a.jpg put one S3 event into it (unless `upload` is false). */
  async function setUp(visibilityTimeoutSeconds: number, upload = true): Promise<void> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-visibility-'));
    queue = await new FileQueue({ dir: path.join(dir, 'queue'), visibilityTimeoutSeconds, pollIntervalMs: 10 }).init();
    bucket = await new LocalBucket({
      name: 'bkt', root: path.join(dir, 'bucket'), stateDir: path.join(dir, 'state'), notification: { target: queue, prefix: 'uploads/' },
    }).init();
    if (upload) await bucket.putObject('bkt', 'uploads/a.jpg', Buffer.from('abc'), { contentType: 'image/jpeg', metadata: {} });
  }

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.drain()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a renewal in flight cannot undo a retry delay: the delay is the last visibility the queue applies', async () => {
    await setUp(2);
    const faulty = new FaultyVisibilityQueue(queue, 2);
    faulty.holdNextRenewal = true;
    const failing: Handler = {
      name: 'fails-once-renewal-is-in-flight',
      async handle() {
        await until('a renewal in flight', () => faulty.renewalHeld !== undefined);
        throw new TransientError('upstream', 'upstream unavailable');
      },
    };
    const w = new Worker({
      queue: faulty, store: bucket, handler: failing, concurrency: 1, prefetch: 0, waitTimeSeconds: 1, backoff: { baseSeconds: 30 },
    });
    workers.push(w);
    const finished = new Promise((r) => w.once('job_finished', r));
    const retried = new Promise<{ delaySeconds: number }>((r) => w.once('message_retry', r));
    await w.start();
    await finished;
    await sleep(100); // whatever the worker sends on its own after the outcome has gone out by now
    faulty.release();
    const { delaySeconds } = await retried;
    expect(delaySeconds).toBeGreaterThanOrEqual(15);
    expect(faulty.applied).toEqual([2, delaySeconds]);
    // The renewal's 2 s are long over: the message is still hidden by the retry delay.
    await sleep(3000);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 1 });
  });

  test('a throttled renewal is retried, and the job finishes and is deleted instead of being given up', async () => {
    await setUp(4);
    const faulty = new FaultyVisibilityQueue(queue, 4);
    faulty.failRenewals = 1;
    const handler: Handler = {
      name: 'copy-after-a-renewal',
      async handle(input, ctx) {
        // Finishes once a renewal got through after the throttled one (or fails if the job is given up).
        await abortable(ctx, until('a renewal applied', () => faulty.applied.includes(4)));
        return { body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.out' };
      },
    };
    const w = new Worker({ queue: faulty, store: bucket, handler, concurrency: 1, prefetch: 0, waitTimeSeconds: 1, deleteLingerMs: 0 });
    workers.push(w);
    const lost: unknown[] = [];
    w.on('visibility_lost', (e) => lost.push(e));
    const deleted = new Promise((r) => w.once('message_deleted', r));
    await w.start();
    await Promise.race([deleted, until('given up', () => lost.length > 0)]);
    expect(lost).toEqual([]);
    expect(faulty.requested.filter((s) => s === 4).length).toBeGreaterThanOrEqual(2);
    expect(await bucket.list('processed/')).toEqual(['processed/a.jpg.out']);
    await until('deleted', async () => (await queue.stats()).inFlight === 0);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('near the 12-hour cap the job is stopped while its last extension still hides the message', async () => {
    await setUp(10, false);
    await queue.send('{}');
    const [m] = await queue.receive({ maxMessages: 1, waitTimeSeconds: 0 });
    // Received (as far as the cap counts) 43 188 s ago: the first renewal, 5 s from now, can grant only 6 s.
    const receivedAt = Date.now() - 43_188_000;
    let stoppedWith: { reason: Error; queue: { visible: number; inFlight: number } } | undefined;
    const extender = new VisibilityExtender({
      queue,
      receiptHandle: m.receiptHandle,
      timeoutSeconds: 10,
      receivedAt,
      onLost: (reason) => { void queue.stats().then((s) => { stoppedWith = { reason, queue: s }; }); },
    });
    extender.start();
    try {
      await until('the job stopped', () => stoppedWith !== undefined, 30_000);
    } finally {
      await extender.stop();
    }
    expect(stoppedWith!.reason.message).toContain('12-hour');
    // Stopped before the message became visible to anyone else.
    expect(stoppedWith!.queue).toEqual({ visible: 0, inFlight: 1 });
  });
});
