/**
 * writeUnlessStale's storage round trips, against a real local bucket (a folder) wrapped in a store
 * that records each request: the common case (no output yet) is one conditional PUT, and only a
 * refused write looks at the output. The same rules against S3's API (moto) are in
 * test/integration/moto/ordering-and-limits.moto.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import { BLIND_WRITE_MAX_BYTES, SOURCE_SEQUENCER, writeUnlessStale } from '../../../worker-runtime/src/core/output-ordering';
import type { ObjectStore, PutOptions } from '../../../worker-runtime/src/core/ports';

function recording(inner: ObjectStore): { store: ObjectStore; calls: string[] } {
  const calls: string[] = [];
  const store: ObjectStore = {
    getObject: (...a) => { calls.push('GET'); return inner.getObject(...a); },
    headObject: (...a) => { calls.push('HEAD'); return inner.headObject(...a); },
    putObject: async (b, k, body, o: PutOptions) => {
      calls.push(o.ifNoneMatch === '*' ? 'PUT if-none-match' : o.ifMatch !== undefined ? 'PUT if-match' : 'PUT');
      return inner.putObject(b, k, body, o);
    },
  };
  return { store, calls };
}

describe('writeUnlessStale: one round trip when there is no output yet', () => {
  let dir: string;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-ordering-'));
    bucket = await new LocalBucket({ name: 'b', root: path.join(dir, 'root'), stateDir: path.join(dir, 'state') }).init();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const body = [new TextEncoder().encode('%PDF-1.7 small')];
  const write = (store: ObjectStore, sequencer: string, parts = body) =>
    writeUnlessStale(store, 'b', 'processed/a.pdf', parts, { contentType: 'application/pdf', metadata: {} }, sequencer);

  test('no output: a single PUT If-None-Match *, recording the sequencer', async () => {
    const r = recording(bucket);
    expect(await write(r.store, '0A')).toEqual({ written: true });
    expect(r.calls).toEqual(['PUT if-none-match']);
    expect((await bucket.headObject('b', 'processed/a.pdf'))?.metadata[SOURCE_SEQUENCER]).toBe('0A');
  });

  test('an older output: the blind write is refused, the job looks, then replaces it If-Match', async () => {
    await write(bucket, '0A');
    const r = recording(bucket);
    expect(await write(r.store, '0B')).toEqual({ written: true });
    expect(r.calls).toEqual(['PUT if-none-match', 'HEAD', 'PUT if-match']);
    expect((await bucket.headObject('b', 'processed/a.pdf'))?.metadata[SOURCE_SEQUENCER]).toBe('0B');
  });

  test('the same or a newer output: refused, looked at, left alone', async () => {
    await write(bucket, '0B');
    const r = recording(bucket);
    expect(await write(r.store, '0B')).toMatchObject({ written: false, reason: 'already-current' });
    expect(await write(r.store, '0A')).toMatchObject({ written: false, reason: 'newer-output', outputSequencer: '0B' });
    expect(r.calls).toEqual(['PUT if-none-match', 'HEAD', 'PUT if-none-match', 'HEAD']);
  });

  test('an output larger than BLIND_WRITE_MAX_BYTES (possibly multipart): looks first', async () => {
    const big = [new Uint8Array(BLIND_WRITE_MAX_BYTES), new Uint8Array(1)];
    const r = recording(bucket);
    expect(await write(r.store, '0A', big)).toEqual({ written: true });
    expect(r.calls).toEqual(['HEAD', 'PUT if-none-match']);
  });
});
