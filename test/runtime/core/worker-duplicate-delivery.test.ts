/**
 * Issue 11, item 2: SQS standard queues deliver at least once, so one message can arrive twice,
 * with two receipt handles, while the first copy is still held. Each delivery must be counted,
 * keep the instance protected, be waited for by a drain and be settled with its own handle.
 *
 * The queue is a fake, deliberately: no peer produces a duplicate delivery on demand (moto and
 * the local FileQueue hand a message out again only after its visibility lapsed, which also
 * voids the first handle). The object store is the real local bucket.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import type { Handler } from '../../../worker-runtime/src/core/handler';
import type { DeleteEntry, DeleteResult, InstanceControl, QueueMessage, ReceiveOptions, WorkQueue } from '../../../worker-runtime/src/core/ports';
import { Worker } from '../../../worker-runtime/src/core/worker';
import { sleep } from '../../../worker-runtime/src/util/sleep';

const BODY = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'bkt' }, object: { key: 'uploads/a.jpg' } } }] });

/** What happened, in order: deletes (by receipt handle), protection changes, the worker's stop. */
type Step = `delete ${string}` | `protect ${boolean}` | 'stopped';

/** Hands out message m1 twice (receipt handles rh-1, rh-2), then long-polls empty. */
class TwiceDeliveringQueue implements WorkQueue {
  private served = 0;
  constructor(private readonly steps: Step[]) {}
  async receive(options: ReceiveOptions): Promise<QueueMessage[]> {
    if (this.served < 2) {
      this.served += 1;
      return [{ messageId: 'm1', receiptHandle: `rh-${this.served}`, body: BODY, receiveCount: this.served }];
    }
    await sleep(50, options.signal);
    return [];
  }
  async deleteBatch(entries: ReadonlyArray<DeleteEntry>): Promise<DeleteResult> {
    for (const e of entries) this.steps.push(`delete ${e.receiptHandle}`);
    return { failed: [] };
  }
  async changeVisibility(): Promise<void> { /* renewals and releases: not what this test looks at */ }
  async sendToDeadLetter(): Promise<void> { throw new Error('nothing here is dead-lettered'); }
  async visibilityTimeoutSeconds(): Promise<number> { return 30; }
}

class RecordingInstance implements InstanceControl {
  constructor(private readonly steps: Step[]) {}
  async setScaleInProtection(protect: boolean): Promise<void> { this.steps.push(`protect ${protect}`); }
  async recordLifecycleHeartbeat(): Promise<void> { /* no lifecycle drain here */ }
  async completeLifecycleAction(): Promise<void> { /* no lifecycle drain here */ }
  async markUnhealthy(): Promise<void> { throw new Error('not expected here'); }
  async leaveGroup(): Promise<void> { throw new Error('not expected here'); }
}

/** Each call waits until the test lets that call go (in call order). */
class GatedHandler implements Handler {
  readonly name = 'gated-copy';
  readonly gates: Array<() => void> = [];
  async handle(input: { body: Buffer }): Promise<{ body: Uint8Array; contentType: string; extension: string }> {
    await new Promise<void>((r) => this.gates.push(r));
    return { body: new Uint8Array(input.body), contentType: 'text/plain', extension: '.out' };
  }
}

async function until(what: string, probe: () => boolean): Promise<void> {
  // Generous: a loaded machine may take long; the assertions do not depend on how long.
  const end = Date.now() + 60_000;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await sleep(10);
  }
}

describe('a message delivered twice', () => {
  let dir: string;
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('is held, counted, protected, drained and deleted as two deliveries, each with its own receipt handle', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duplicate-delivery-'));
    const bucket = await new LocalBucket({ name: 'bkt', root: path.join(dir, 'bkt'), stateDir: path.join(dir, 'state') }).init();
    await bucket.putObject('bkt', 'uploads/a.jpg', Buffer.from('abc'), { contentType: 'image/jpeg', metadata: {} });
    const steps: Step[] = [];
    const handler = new GatedHandler();
    const w = new Worker({
      queue: new TwiceDeliveringQueue(steps),
      store: bucket,
      handler,
      instance: new RecordingInstance(steps),
      concurrency: 2,
      prefetch: 0,
      waitTimeSeconds: 1,
      // Protection would be cleared the moment the worker looks idle.
      idleGraceSeconds: 0,
      deleteLingerMs: 0,
      drainTimeoutSeconds: 60,
      drainMarginSeconds: 1,
    });
    w.on('stopped', () => steps.push('stopped'));
    await w.start();

    await until('both deliveries running', () => handler.gates.length === 2);
    expect(w.stats).toMatchObject({ received: 2, inFlight: 2, running: 2 });

    // The first copy finishes: deleted with its own handle; the second still runs, so still protected.
    handler.gates[0]();
    await until('the first delivery deleted', () => steps.includes('delete rh-1'));
    await sleep(200); // an idle grace of 0 would have cleared protection by now
    expect(w.stats).toMatchObject({ deleted: 1, inFlight: 1, running: 1 });
    expect(steps.filter((s) => s.startsWith('protect'))).toEqual(['protect false', 'protect true']); // stale clear at start, then set

    // A drain waits for the second copy, which is then deleted before the worker stops.
    let stopped = false;
    const drained = w.drain().then(() => { stopped = true; });
    await sleep(200);
    expect(stopped).toBe(false);
    handler.gates[1]();
    await drained;
    expect(steps).toEqual(['protect false', 'protect true', 'delete rh-1', 'delete rh-2', 'protect false', 'stopped']);
    expect(w.stats).toMatchObject({ received: 2, deleted: 2, inFlight: 0 });
  });
});
