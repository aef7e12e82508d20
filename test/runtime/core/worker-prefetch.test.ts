/**
 * The run loop's batching, against the project's own durable queue and bucket (local mode's
 * FileQueue and LocalBucket: real files, real visibility timeouts, S3-shaped events):
 * prefetch bound, waiting messages kept invisible and released first on drain, a job slot freed
 * before its message's delete, and the delete batching window. A thin wrapper records every
 * queue call it passes through; nothing is stubbed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import type { DeleteEntry, DeleteResult, QueueMessage, ReceiveOptions, WorkQueue } from '../../../worker-runtime/src/core/ports';
import { Worker, WorkerOptions } from '../../../worker-runtime/src/core/worker';

type Call =
  | { op: 'receive'; maxMessages: number; got: number; heldBefore: number }
  | { op: 'changeVisibility'; handle: string; seconds: number }
  | { op: 'deleteBatch'; handles: string[] };

/** Passes every call to the real queue and records it (and what the worker held when it asked). */
class RecordingQueue implements WorkQueue {
  readonly calls: Call[] = [];
  worker?: Worker;
  constructor(private readonly inner: FileQueue) {}
  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    const heldBefore = this.worker ? this.worker.stats.running + this.worker.stats.waiting : 0;
    const got = await this.inner.receive(options);
    this.calls.push({ op: 'receive', maxMessages: options.maxMessages, got: got.length, heldBefore });
    return got;
  }
  async deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult> {
    this.calls.push({ op: 'deleteBatch', handles: entries.map((e) => e.receiptHandle) });
    return this.inner.deleteBatch(entries);
  }
  async changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void> {
    this.calls.push({ op: 'changeVisibility', handle: receiptHandle, seconds: timeoutSeconds });
    return this.inner.changeVisibility(receiptHandle, timeoutSeconds);
  }
  sendToDeadLetter: WorkQueue['sendToDeadLetter'] = (m, r) => this.inner.sendToDeadLetter(m, r);
  visibilityTimeoutSeconds(): Promise<number> { return this.inner.visibilityTimeoutSeconds(); }
  of<K extends Call['op']>(op: K): Array<Extract<Call, { op: K }>> {
    return this.calls.filter((c): c is Extract<Call, { op: K }> => c.op === op);
  }
}

/** A handler that copies its input, each call waiting until the test lets it go. */
class GatedHandler implements Handler {
  readonly name = 'gated-copy';
  readonly started: string[] = [];
  private readonly gates: Array<() => void> = [];
  private open = false;
  async handle(input: { key: string; body: Buffer }): Promise<{ body: Uint8Array; contentType: string; extension: string }> {
    this.started.push(input.key);
    if (!this.open) await new Promise<void>((r) => this.gates.push(r));
    return { body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.out' };
  }
  /** Lets every waiting call and all later ones through. */
  openAll(): void {
    this.open = true;
    this.gates.splice(0).forEach((r) => r());
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Worker batching (local FileQueue + LocalBucket)', () => {
  let dir: string;
  let queue: FileQueue;
  let bucket: LocalBucket;
  let recording: RecordingQueue;
  const workers: Worker[] = [];

  async function setUp(visibilityTimeoutSeconds = 30): Promise<void> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-prefetch-'));
    queue = await new FileQueue({ dir: path.join(dir, 'queue'), visibilityTimeoutSeconds, pollIntervalMs: 10 }).init();
    bucket = await new LocalBucket({
      name: 'bkt', root: path.join(dir, 'bucket'), stateDir: path.join(dir, 'state'), notification: { target: queue, prefix: 'uploads/' },
    }).init();
    recording = new RecordingQueue(queue);
  }

  async function upload(n: number, from = 0): Promise<string[]> {
    const keys = Array.from({ length: n }, (_, i) => `uploads/img-${String(from + i).padStart(3, '0')}.jpg`);
    for (const k of keys) await bucket.putObject('bkt', k, Buffer.from(`content of ${k}`), { contentType: 'image/jpeg', metadata: {} });
    return keys;
  }

  function worker(handler: Handler, options: Partial<WorkerOptions>): Worker {
    // A short drain deadline, so a failed test's gated jobs do not hold the clean-up for long.
    const w = new Worker({ queue: recording, store: bucket, handler, waitTimeSeconds: 1, drainMarginSeconds: 1, drainTimeoutSeconds: 5, ...options });
    recording.worker = w;
    workers.push(w);
    return w;
  }

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.drain()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('receives up to 10 whenever there is room, never holds more than concurrency + prefetch, and starts waiting messages as slots free', async () => {
    await setUp();
    const keys = await upload(25);
    const handler = new GatedHandler();
    const w = worker(handler, { concurrency: 2, prefetch: 10 });
    await w.start();

    // First receive: room for 12, asks for 10; 2 start, 8 wait; no further receive while they wait (room 2 < 10).
    // A job counts as running from its slot on; the handler sees it once the object is read.
    await waitFor('two jobs running, eight waiting', () => w.stats.running === 2 && w.stats.waiting === 8 && handler.started.length === 2);
    expect(recording.of('receive')).toEqual([{ op: 'receive', maxMessages: 10, got: 10, heldBefore: 0 }]);
    expect([...handler.started].sort()).toEqual(keys.slice(0, 2));
    expect(await queue.stats()).toEqual({ visible: 15, inFlight: 10 });

    handler.openAll();
    await waitFor('every output written', async () => (await bucket.list('processed/')).length === 25);
    await w.drain();
    expect(w.stats).toMatchObject({ received: 25, deleted: 25, released: 0, inFlight: 0, waiting: 0 });
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
    expect(handler.started.sort()).toEqual(keys);
    const receives = recording.of('receive');
    for (const r of receives) {
      // Never more than concurrency + prefetch held, and a full receive whenever there was room for one.
      expect(r.heldBefore + r.maxMessages).toBeLessThanOrEqual(12);
      expect(r.maxMessages).toBe(Math.min(10, 12 - r.heldBefore));
    }
    // 25 messages in full receives of 10 (+ the short one with the last 5): not one receive per message.
    expect(receives.filter((r) => r.got > 0).map((r) => r.got)).toEqual([10, 10, 5]);
  });

  test('prefetch 0 receives only for free slots (the behaviour before prefetching)', async () => {
    await setUp();
    await upload(3);
    const handler = new GatedHandler();
    const w = worker(handler, { concurrency: 1, prefetch: 0 });
    await w.start();
    await waitFor('one job running', () => w.stats.running === 1);
    expect(recording.of('receive')).toEqual([{ op: 'receive', maxMessages: 1, got: 1, heldBefore: 0 }]);
    expect(w.stats.waiting).toBe(0);
    handler.openAll();
    await waitFor('every output written', async () => (await bucket.list('processed/')).length === 3);
    expect(recording.of('receive').every((r) => r.maxMessages === 1)).toBe(true);
  });

  test('waiting messages stay invisible (extended like running ones) and a drain releases them first', async () => {
    await setUp(2); // extended every second; without it they would reappear after 2 s
    const keys = await upload(3);
    const handler = new GatedHandler();
    const w = worker(handler, { concurrency: 1, drainTimeoutSeconds: 60 });
    const released: string[] = [];
    w.on('message_released', (e) => released.push(e.messageId));
    await w.start();
    await waitFor('one running, two waiting', () => w.stats.running === 1 && w.stats.waiting === 2);
    const [received] = recording.of('receive');
    expect(received).toMatchObject({ maxMessages: 10, got: 3 });

    // Three renewals of every held message: over a whole visibility timeout past receipt.
    const renewals = (): Map<string, number> => {
      const n = new Map<string, number>();
      for (const c of recording.of('changeVisibility')) if (c.seconds === 2) n.set(c.handle, (n.get(c.handle) ?? 0) + 1);
      return n;
    };
    await waitFor('three renewals of all three messages', () => {
      const n = renewals();
      return n.size === 3 && [...n.values()].every((v) => v >= 3);
    });
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 3 });
    expect(handler.started).toEqual([keys[0]]);

    const stopped = w.drain();
    // The two never-started messages are given back at once, while the running job still runs.
    await waitFor('two released', () => released.length === 2);
    expect(w.stats).toMatchObject({ running: 1, waiting: 0, inFlight: 1 });
    expect(await queue.stats()).toEqual({ visible: 2, inFlight: 1 });
    handler.openAll();
    await stopped;

    expect(handler.started).toEqual([keys[0]]); // the waiting ones never ran here
    expect(w.stats).toMatchObject({ received: 3, deleted: 1, released: 2 });
    expect(await bucket.list('processed/')).toEqual(['processed/img-000.jpg.out']);
    const order = recording.calls.filter((c) => (c.op === 'changeVisibility' && c.seconds === 0) || c.op === 'deleteBatch').map((c) => c.op);
    expect(order).toEqual(['changeVisibility', 'changeVisibility', 'deleteBatch']);
    // Another consumer gets both released messages now.
    const again = await queue.receive({ maxMessages: 10, waitTimeSeconds: 0 });
    expect(again.map((m) => JSON.parse(m.body).Records[0].s3.object.key).sort()).toEqual(keys.slice(1));
  });

  test('a slot is freed when the outcome is known: later jobs run while earlier deletes wait for companions, flushed on drain', async () => {
    await setUp();
    await upload(3);
    const handler = new GatedHandler();
    handler.openAll();
    const w = worker(handler, { concurrency: 1, deleteLingerMs: 600_000 });
    const deleted: string[] = [];
    w.on('message_deleted', (e) => deleted.push(e.messageId));
    await w.start();
    await waitFor('all three outputs written', async () => (await bucket.list('processed/')).length === 3);
    // One slot, three jobs done, and no delete sent: each job started without waiting for the previous delete.
    expect(handler.started).toHaveLength(3);
    expect(recording.of('deleteBatch')).toHaveLength(0);
    expect(w.stats).toMatchObject({ running: 0, waiting: 0, inFlight: 3, deleted: 0 });
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 3 }); // still held, still invisible

    await w.drain();
    expect(recording.of('deleteBatch').map((c) => c.handles.length)).toEqual([3]);
    expect(deleted).toHaveLength(3);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('deletes go out as soon as 10 are waiting, the rest with the drain', async () => {
    await setUp();
    await upload(12);
    const handler = new GatedHandler();
    handler.openAll();
    const w = worker(handler, { concurrency: 2, deleteLingerMs: 600_000 });
    let deleted = 0;
    w.on('message_deleted', () => { deleted += 1; });
    await w.start();
    await waitFor('ten deleted', () => deleted === 10);
    await waitFor('all twelve outputs written', async () => (await bucket.list('processed/')).length === 12);
    expect(recording.of('deleteBatch').map((c) => c.handles.length)).toEqual([10]);
    expect(w.stats).toMatchObject({ deleted: 10, inFlight: 2 });
    await w.drain();
    expect(recording.of('deleteBatch').map((c) => c.handles.length)).toEqual([10, 2]);
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('after a short receive a busy worker does not poll again until a slot is idle', async () => {
    await setUp();
    await upload(1);
    const handler = new GatedHandler();
    const w = worker(handler, { concurrency: 1 });
    await w.start();
    await waitFor('the job running', () => w.stats.running === 1);
    await upload(1, 1);
    // Longer than two long polls (1 s each here): a worker that kept polling would have taken it.
    await new Promise((r) => setTimeout(r, 2500));
    expect(recording.of('receive')).toEqual([{ op: 'receive', maxMessages: 10, got: 1, heldBefore: 0 }]);
    expect(await queue.stats()).toEqual({ visible: 1, inFlight: 1 });
    handler.openAll();
    await waitFor('both outputs written', async () => (await bucket.list('processed/')).length === 2);
  });

  test('prefetch must be a whole number ≥ 0', async () => {
    await setUp();
    expect(() => worker(new GatedHandler(), { prefetch: -1 })).toThrow(/prefetch must be a whole number ≥ 0, got -1/);
  });
});
