/**
 * Zero-copy handler output: the image → PDF handler returns its PDF as parts (the JPEG's bytes
 * are the input buffer itself), `body` still gives the joined PDF, and the writers (gathered
 * file writes, the local bucket) write parts byte-exactly.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalBucket } from '../../../worker-runtime/src/adapters/local/local-bucket';
import { outputFromParts, outputParts } from '../../../worker-runtime/src/core/handler';
import { convertImageToPdf, imageToPdfHandler } from '../../../worker-runtime/src/handlers/image-to-pdf';
import { writeParts } from '../../../worker-runtime/src/util/gather-write';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'images');

describe('handler output as parts', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'output-parts-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('image-to-pdf returns parts that reference the input JPEG, and a body equal to their join', async () => {
    const input = fs.readFileSync(path.join(FIXTURES, 'skimage_rocket.jpg'));
    const out = await imageToPdfHandler().handle({ key: 'uploads/rocket.jpg', bucket: 'b', body: input }, { signal: new AbortController().signal });
    expect(out.parts).toBeDefined();
    const parts = out.parts!;
    expect(parts.length).toBeGreaterThan(1);
    // Zero copy: one part is a view of the input's own memory holding exactly its bytes.
    const jpegPart = parts.find((p) => p.buffer === input.buffer && p.byteOffset === input.byteOffset);
    expect(jpegPart).toBeDefined();
    expect(jpegPart!.byteLength).toBe(input.byteLength);
    const joined = Buffer.concat(parts);
    expect(Buffer.compare(Buffer.from(out.body), joined)).toBe(0);
    // The same PDF as the one-buffer API gives.
    expect(Buffer.compare(Buffer.from(await convertImageToPdf(input)), joined)).toBe(0);
    expect(joined.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  test('outputParts: parts when given, else the body; outputFromParts joins only when body is read', () => {
    const a = Buffer.from('abc');
    const b = Buffer.from('defg');
    expect(outputParts({ body: a, contentType: 't', extension: '.x' })).toEqual([a]);
    const out = outputFromParts([a, b], 'text/plain', '.x');
    expect(outputParts(out)).toEqual([a, b]);
    expect(Buffer.from(out.body).toString()).toBe('abcdefg');
    expect(out.body).toBe(out.body); // joined once, then kept
    expect(outputFromParts([a], 't', '.x').body).toBe(a); // one part: no copy at all
  });

  test('writeParts writes every byte in order, more parts than one writev takes included', async () => {
    const parts = Array.from({ length: 2500 }, (_, i) => Buffer.from(`${i},`));
    parts.splice(10, 0, Buffer.alloc(0), Buffer.alloc(3 * 1024 * 1024, 7));
    const file = path.join(dir, 'out.bin');
    const handle = await fs.promises.open(file, 'w');
    let written: number;
    try {
      written = await writeParts(handle, parts);
    } finally {
      await handle.close();
    }
    const expected = Buffer.concat(parts);
    expect(written).toBe(expected.length);
    expect(Buffer.compare(fs.readFileSync(file), expected)).toBe(0);
  });

  test('the local bucket stores parts as one object, with the size and ETag of the joined bytes in its event', async () => {
    const events: string[] = [];
    const bucket = await new LocalBucket({
      name: 'bkt',
      root: path.join(dir, 'root'),
      stateDir: path.join(dir, 'state'),
      notification: { target: { send: async (body) => { events.push(body); return String(events.length); } }, prefix: 'uploads/' },
    }).init();
    const parts = [Buffer.from('%PDF-'), Buffer.alloc(70_000, 1), Buffer.from('%%EOF\n')];
    const joined = Buffer.concat(parts);
    await bucket.putObject('bkt', 'uploads/x.jpg', parts, { contentType: 'application/pdf', metadata: { a: 'b' } });
    const got = await bucket.getObject('bkt', 'uploads/x.jpg');
    expect(Buffer.compare(got.body, joined)).toBe(0);
    expect(got.contentType).toBe('application/pdf');
    const record = JSON.parse(events[0]).Records[0];
    expect(record.s3.object.size).toBe(joined.length);
    expect(record.s3.object.eTag).toBe(createHash('md5').update(joined).digest('hex'));
    expect(got.etag).toBe(`"${record.s3.object.eTag}"`);
    // A file replaced behind the bucket's back is hashed again, not given the recorded ETag.
    const replaced = Buffer.alloc(joined.length, 2);
    fs.writeFileSync(bucket.pathOf('uploads/x.jpg'), replaced);
    expect((await bucket.getObject('bkt', 'uploads/x.jpg')).etag).toBe(`"${createHash('md5').update(replaced).digest('hex')}"`);
  });

  test('the local bucket writes into a folder removed after its first write there', async () => {
    const bucket = await new LocalBucket({ name: 'bkt', root: path.join(dir, 'root'), stateDir: path.join(dir, 'state') }).init();
    await bucket.putObject('bkt', 'processed/a/b/1.pdf', [Buffer.from('one')], { contentType: 'application/pdf', metadata: {} });
    fs.rmSync(path.join(dir, 'root', 'processed'), { recursive: true });
    await bucket.putObject('bkt', 'processed/a/b/2.pdf', [Buffer.from('two')], { contentType: 'application/pdf', metadata: {} });
    expect(await bucket.list('processed/')).toEqual(['processed/a/b/2.pdf']);
    expect((await bucket.getObject('bkt', 'processed/a/b/2.pdf')).body.toString()).toBe('two');
    expect(await bucket.metadataOf('processed/a/b/2.pdf')).toEqual({});
  });
});
