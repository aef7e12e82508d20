import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LatencyObjectStore, parseLatency } from '../../worker-runtime/src/adapters/local/latency-object-store';
import { LocalBucket } from '../../worker-runtime/src/adapters/local/local-bucket';

describe('LatencyObjectStore: an injected round trip before every storage request', () => {
  let dir: string;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'latency-store-'));
    bucket = await new LocalBucket({ name: 'b', root: path.join(dir, 'root'), stateDir: path.join(dir, 'state') }).init();
  });
  afterEach(async () => { jest.useRealTimers(); await fsp.rm(dir, { recursive: true, force: true }); });

  test('a PUT and a GET each reach the bucket only after the latency has passed', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const store = new LatencyObjectStore(bucket, 80);
    let written = false;
    const put = store.putObject('b', 'uploads/a.jpg', Buffer.from('abc'), { contentType: 'image/jpeg', metadata: {} }).then(() => { written = true; });
    await jest.advanceTimersByTimeAsync(79);
    expect(written).toBe(false);
    await expect(fsp.access(path.join(dir, 'root', 'uploads', 'a.jpg'))).rejects.toThrow();
    await jest.advanceTimersByTimeAsync(1);
    jest.useRealTimers();
    await put;
    expect(written).toBe(true);

    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    let got: Buffer | undefined;
    const get = store.getObject('b', 'uploads/a.jpg').then((o) => { got = o.body; });
    await jest.advanceTimersByTimeAsync(79);
    expect(got).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    jest.useRealTimers();
    await get;
    expect(got?.toString()).toBe('abc');
  });

  test('an abort during the wait rejects with the abort reason and sends nothing', async () => {
    const store = new LatencyObjectStore(bucket, 60_000);
    const ac = new AbortController();
    const put = store.putObject('b', 'uploads/x.jpg', Buffer.from('x'), { contentType: 'image/jpeg', metadata: {}, signal: ac.signal });
    ac.abort(new Error('drain deadline'));
    await expect(put).rejects.toThrow('drain deadline');
    await expect(fsp.access(path.join(dir, 'root', 'uploads', 'x.jpg'))).rejects.toThrow();
  });

  test('latency is parsed from 80ms, 0.08s or bare milliseconds; anything else says what to write', () => {
    expect([parseLatency('80ms'), parseLatency('0.08s'), parseLatency('80'), parseLatency('0')]).toEqual([80, 80, 80, 0]);
    expect(() => parseLatency('fast')).toThrow(/write e.g. 80ms or 0.08s/);
    expect(() => new LatencyObjectStore(bucket, -1)).toThrow(/≥ 0 ms/);
  });
});
