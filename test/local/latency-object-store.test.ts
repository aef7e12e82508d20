import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LatencyObjectStore, parseLatency } from '../../worker-runtime/src/adapters/local/latency-object-store';
import { LocalBucket } from '../../worker-runtime/src/adapters/local/local-bucket';

describe('LatencyObjectStore: an injected round trip around every storage request', () => {
  let dir: string;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'latency-store-'));
    bucket = await new LocalBucket({ name: 'b', root: path.join(dir, 'root'), stateDir: path.join(dir, 'state') }).init();
  });
  afterEach(async () => { jest.useRealTimers(); await fsp.rm(dir, { recursive: true, force: true }); });

  test("a PUT's bytes land at once and its answer comes a round trip later; a GET's body is read after the round trip", async () => {
    const store = new LatencyObjectStore(bucket, 1500);
    const file = path.join(dir, 'root', 'uploads', 'a.jpg');
    const t0 = Date.now();
    let answered = false;
    const put = store.putObject('b', 'uploads/a.jpg', Buffer.from('abc'), { contentType: 'image/jpeg', metadata: {} }).then(() => { answered = true; });
    while (!(await fsp.access(file).then(() => true, () => false)) && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
    expect(await fsp.readFile(file, 'utf8')).toBe('abc');
    expect(answered).toBe(false);
    await put;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490);

    const t1 = Date.now();
    const get = store.getObject('b', 'uploads/a.jpg');
    // Changed during the round trip: the GET returns what is there when its answer is made.
    await fsp.writeFile(file, 'abcde');
    expect((await get).body.toString()).toBe('abcde');
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1490);
  });

  test('a refused conditional PUT is answered a round trip later too', async () => {
    await bucket.putObject('b', 'processed/a.pdf', Buffer.from('x'), { contentType: 'application/pdf', metadata: {} });
    const store = new LatencyObjectStore(bucket, 150);
    const t0 = Date.now();
    await expect(store.putObject('b', 'processed/a.pdf', Buffer.from('y'), { contentType: 'application/pdf', metadata: {}, ifNoneMatch: '*' }))
      .rejects.toThrow(/changed|exists|condition/i);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  test('an abort before the request sends nothing; an abort while its answer is awaited rejects with the reason', async () => {
    const store = new LatencyObjectStore(bucket, 60_000);
    const early = new AbortController();
    early.abort(new Error('drain deadline'));
    await expect(store.putObject('b', 'uploads/x.jpg', Buffer.from('x'), { contentType: 'image/jpeg', metadata: {}, signal: early.signal })).rejects.toThrow('drain deadline');
    await expect(fsp.access(path.join(dir, 'root', 'uploads', 'x.jpg'))).rejects.toThrow();

    const late = new AbortController();
    const put = store.putObject('b', 'uploads/y.jpg', Buffer.from('y'), { contentType: 'image/jpeg', metadata: {}, signal: late.signal });
    const get = store.getObject('b', 'uploads/y.jpg', late.signal);
    const settled = Promise.allSettled([put, get]);
    late.abort(new Error('job timed out'));
    for (const r of await settled) expect(r).toMatchObject({ status: 'rejected', reason: new Error('job timed out') });
  });

  test('latency is parsed from 80ms, 0.08s or bare milliseconds; anything else says what to write', () => {
    expect([parseLatency('80ms'), parseLatency('0.08s'), parseLatency('80'), parseLatency('0')]).toEqual([80, 80, 80, 0]);
    expect(() => parseLatency('fast')).toThrow(/write e.g. 80ms or 0.08s/);
    expect(() => new LatencyObjectStore(bucket, -1)).toThrow(/≥ 0 ms/);
  });
});
