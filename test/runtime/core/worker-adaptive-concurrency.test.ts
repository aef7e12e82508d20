/**
 * The Worker with adaptive concurrency, against local mode's durable queue and bucket with an
 * injected storage round trip (LatencyObjectStore): jobs that mostly wait for storage make the
 * worker add job slots beyond the vCPU count, every message is still settled exactly once, and a
 * fixed concurrency stays fixed.
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

  async function run(concurrency: number | 'auto', images: number): Promise<{ peakRunning: number; limits: number[]; worker: Worker }> {
    for (let i = 0; i < images; i++) {
      await bucket.putObject('bkt', `uploads/${i}.jpg`, Buffer.from(`image ${i}`), { contentType: 'image/jpeg', metadata: {} });
    }
    const worker = new Worker({
      queue,
      store: new LatencyObjectStore(bucket, 40),
      handler: copy,
      concurrency,
      waitTimeSeconds: 1,
      // A recorded, idle event loop: the test is about the Worker's wiring (saturation → slots), not this machine's load.
      adaptiveConcurrency: { intervalMs: 50, sampler: { read: () => ({ eventLoopUtilisation: 0.2, rssBytes: 100e6 }) } },
      deleteLingerMs: 20,
    });
    let peakRunning = 0;
    const limits: number[] = [];
    worker.on('message_received', () => { peakRunning = Math.max(peakRunning, worker.stats.running); });
    worker.on('concurrency_changed', (e) => limits.push(e.limit));
    await worker.start();
    await waitFor('every output written', async () => (await bucket.list('processed/')).length === images);
    await worker.drain();
    return { peakRunning, limits, worker };
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
});
