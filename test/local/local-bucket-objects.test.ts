/**
 * The local bucket's objects: bodies below and above its 4 MiB blocking-call limit come back byte
 * for byte with their recorded ETag, the size limit is checked before reading, and a listing reads
 * only the prefix's folder (a key under another prefix is never returned).
 */
import { createHash } from 'crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { LocalBucket } from '../../worker-runtime/src/adapters/local/local-bucket';
import { TooLargeError } from '../../worker-runtime/src/core/errors';

describe('local bucket objects', () => {
  let dir: string;
  let bucket: LocalBucket;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'local-bucket-objects-'));
    bucket = await new LocalBucket({ name: 'b', root: path.join(dir, 'root'), stateDir: path.join(dir, 'state') }).init();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['a small body (read and written with blocking calls)', 300 * 1024],
    ['a body over 4 MiB (read and written off the event loop)', 6 * 1024 * 1024 + 7],
  ])('%s comes back byte for byte, as parts or whole', async (_what, size) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
    const parts = [bytes.subarray(0, 1000), bytes.subarray(1000)];
    await bucket.putObject('b', 'processed/x.pdf', parts, { contentType: 'application/pdf', metadata: { 'source-key': 'uploads%2Fx.jpg' } });
    const got = await bucket.getObject('b', 'processed/x.pdf');
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.etag).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
    expect(got.contentType).toBe('application/pdf');
    expect((await bucket.headObject('b', 'processed/x.pdf'))?.metadata).toEqual({ 'source-key': 'uploads%2Fx.jpg' });
  });

  test('an object over maxBytes is refused before it is read', async () => {
    writeFileSync(path.join(dir, 'root', 'big.jpg'), Buffer.alloc(5 * 1024 * 1024));
    await expect(bucket.getObject('b', 'big.jpg', undefined, { maxBytes: 1024 })).rejects.toBeInstanceOf(TooLargeError);
  });

  test('a listing holds the keys under its prefix only, sorted', async () => {
    for (const key of ['uploads/b.jpg', 'uploads/a/c.jpg', 'processed/a/c.jpg.pdf', 'processed/b.jpg.pdf', 'processedX/d.pdf']) {
      await bucket.putObject('b', key, Buffer.from(key), { contentType: 'x', metadata: {} });
    }
    expect(await bucket.list('processed/')).toEqual(['processed/a/c.jpg.pdf', 'processed/b.jpg.pdf']);
    expect(await bucket.list('processed/a')).toEqual(['processed/a/c.jpg.pdf']);
    expect(await bucket.list('missing/')).toEqual([]);
    expect(await bucket.list()).toHaveLength(5);
  });
});
