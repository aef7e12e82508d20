/**
 * The Worker with adaptive concurrency, against local mode's durable queue and bucket with an
 * injected storage round trip (LatencyObjectStore): jobs that mostly wait for storage make the
 * worker add job slots beyond the vCPU count, every message is still settled exactly once, a
 * fixed concurrency stays fixed, and the inputs of running jobs stay within the input-bytes budget
 * however many slots there are.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileQueue } from '../../../worker-runtime/src/adapters/local/file-queue';
import { LatencyObjectStore } from '../../../worker-runtime/src/adapters/local/latency-object-store';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import { Worker } from '../../../worker-runtime/src/core/worker';

const copy: Handler = {
  name: 'copy',
  handle: async (input) => ({ body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.out' }),
};

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Worker: adaptive concurrency with storage latency', () => {
  let dir: string;
  let queue: FileQueue;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-adaptive-'));
    queue = await new FileQueue({ dir: path.join(dir, 'queue'), visibilityTimeoutSeconds: 60, pollIntervalMs: 10 }).init();
    bucket = await new LocalBucket({
      name: 'bkt', root: path.join(dir, 'bucket'), stateDir: path.join(dir, 'state'), notification: { target: queue, prefix: 'uploads/' },
    }).init();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  interface RunOptions { bodyBytes?: (i: number) => number; inputBytesBudget?: number; initial?: number }
  interface RunResult {
    peakRunning: number; peakRunningBytes: number; peakWaiting: number; overBudgetBesideOthers: number; limits: number[]; worker: Worker;
  }

  async function run(
    concurrency: number | 'auto', images: number, opts: RunOptions = {},
  ): Promise<RunResult> {
    for (let i = 0; i < images; i++) {
      const body = opts.bodyBytes ? Buffer.alloc(opts.bodyBytes(i), i % 251) : Buffer.from(`image ${i}`);
      await bucket.putObject('bkt', `uploads/${i}.jpg`, body, { contentType: 'image/jpeg', metadata: {} });
    }
    const worker = new Worker({
      queue,
      store: new LatencyObjectStore(bucket, 40),
      handler: copy,
      concurrency,
      waitTimeSeconds: 1,
      // A recorded, idle event loop: the test is about the Worker's wiring (saturation → slots), not this machine's load.
      adaptiveConcurrency: {
        intervalMs: 50,
        inputBytesBudget: opts.inputBytesBudget,
        initial: opts.initial,
        sampler: { read: () => ({ eventLoopUtilisation: 0.2, rssBytes: 100e6 }) },
      },
      deleteLingerMs: 20,
    });
    let peakRunning = 0;
    let peakRunningBytes = 0;
    let overBudgetBesideOthers = 0;
    let peakWaiting = 0;
    const limits: number[] = [];
    worker.on('message_held', () => { peakWaiting = Math.max(peakWaiting, worker.stats.waiting); });
    worker.on('message_received', () => {
      const { running, runningInputBytes } = worker.stats;
      peakRunning = Math.max(peakRunning, running);
      peakRunningBytes = Math.max(peakRunningBytes, runningInputBytes);
      if (running > 1 && runningInputBytes > (opts.inputBytesBudget ?? Infinity)) overBudgetBesideOthers += 1;
    });
    worker.on('concurrency_changed', (e) => limits.push(e.limit));
    await worker.start();
    await waitFor('every output written', async () => (await bucket.list('processed/')).length === images);
    await worker.drain();
    return { peakRunning, peakRunningBytes, peakWaiting, overBudgetBesideOthers, limits, worker };
  }

  test('jobs waiting for storage get more slots than there are vCPUs; every message is deleted once', async () => {
    const { peakRunning, limits, worker } = await run('auto', 200);
    const cpus = os.cpus().length;
    expect(Math.max(...limits)).toBeGreaterThan(cpus);
    expect(peakRunning).toBeGreaterThan(cpus);
    expect(worker.stats).toMatchObject({ received: 200, deleted: 200, deadLettered: 0, released: 0, inFlight: 0 });
    expect(await queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  test('a fixed concurrency never changes and is never exceeded', async () => {
    const { peakRunning, limits, worker } = await run(3, 60);
    expect(limits).toEqual([]);
    expect(peakRunning).toBeLessThanOrEqual(3);
    expect(worker.stats).toMatchObject({ received: 60, deleted: 60 });
  });

  test('the declared input bytes of running jobs stay within the budget while the slot limit grows', async () => {
    // 10 kB images, a 30 kB budget: at most 3 run at once, whatever the slot limit says.
    const { peakRunning, peakRunningBytes, overBudgetBesideOthers, limits, worker } = await run('auto', 40, {
      bodyBytes: () => 10_000, inputBytesBudget: 30_000,
    });
    expect(Math.max(...limits)).toBeGreaterThan(3);
    expect(peakRunning).toBe(3);
    expect(peakRunningBytes).toBe(30_000);
    expect(overBudgetBesideOthers).toBe(0);
    expect(worker.stats).toMatchObject({ received: 40, deleted: 40, deadLettered: 0, inFlight: 0, runningInputBytes: 0 });
  });

  test('a worker short of memory, not slots, holds no more than its prefetch beyond what runs', async () => {
    // 64 slots from the start, room for 2 inputs: without the rule it would take all 50 messages and
    // keep them from other instances; with it, waiting messages stay within prefetch (10) plus one receive (10).
    const { peakRunning, peakWaiting, worker } = await run('auto', 50, { bodyBytes: () => 10_000, inputBytesBudget: 20_000, initial: 64 });
    expect(peakRunning).toBe(2);
    expect(peakWaiting).toBeLessThanOrEqual(20);
    expect(worker.stats).toMatchObject({ received: 50, deleted: 50, deadLettered: 0, inFlight: 0 });
  });

  test('an input larger than the whole budget still runs, alone', async () => {
    // Every other image is over the budget: each of those runs only when nothing else does.
    const { peakRunningBytes, overBudgetBesideOthers, worker } = await run('auto', 12, {
      bodyBytes: (i) => (i % 2 === 0 ? 50_000 : 1_000), inputBytesBudget: 20_000,
    });
    expect(peakRunningBytes).toBe(50_000);
    expect(overBudgetBesideOthers).toBe(0);
    expect(worker.stats).toMatchObject({ received: 12, deleted: 12, deadLettered: 0, inFlight: 0 });
  });
});
