/**
 * `spot-worker convert` over real files in a temporary tree: folders walked recursively,
 * collision-free outputs, one line per failure naming the file, a summary, the exit code.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { inspectPdf } from './handlers/image-to-pdf/pdf-inspect';
import { main } from '../../worker-runtime/src/cli/main';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'images');

interface Result { code: number; stdout: string; stderr: string }

async function convert(...argv: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => { stdout += String(chunk); return true; });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    const code = await main(['convert', ...argv]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function embeddedJpeg(pdfPath: string): Promise<Buffer> {
  const [page] = await inspectPdf(fs.readFileSync(pdfPath));
  return Buffer.from(page.image.data);
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

describe('spot-worker convert', () => {
  let root: string;
  let inDir: string;
  const put = (rel: string, bytes: Buffer) => {
    fs.mkdirSync(path.dirname(path.join(inDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(inDir, rel), bytes);
  };
  const rocket = fs.readFileSync(path.join(FIXTURES, 'skimage_rocket.jpg'));
  const grey = fs.readFileSync(path.join(FIXTURES, 'var_gray_rocket.jpg'));

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'convert-command-'));
    inDir = path.join(root, 'in');
    put('a/x.jpg', rocket);
    put('b/x.jpg', grey); // same name, different folder, different content
    put('b/deep/y photo.JPEG', fs.readFileSync(path.join(FIXTURES, 'var_exif6_rocket.jpg')));
    put('renamed.jpg', await sharp({ create: { width: 20, height: 10, channels: 3, background: '#abcdef' } }).png().toBuffer());
    put('empty.jpg', Buffer.alloc(0));
    put('notes.txt', Buffer.from('not an image\n'));
    put('.hidden/skip.jpg', Buffer.alloc(0)); // hidden entries are not walked
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a folder: every file converted or reported, mirrored paths, summary, exit 1', async () => {
    const out = path.join(root, 'out');
    const result = await convert(inDir, '--out', out);
    expect(result.code).toBe(1);
    expect(listFiles(out)).toEqual(['a/x.jpg.pdf', 'b/deep/y photo.JPEG.pdf', 'b/x.jpg.pdf', 'renamed.jpg.pdf']);
    expect(Buffer.compare(await embeddedJpeg(path.join(out, 'a/x.jpg.pdf')), rocket)).toBe(0);
    expect(Buffer.compare(await embeddedJpeg(path.join(out, 'b/x.jpg.pdf')), grey)).toBe(0);

    // Progress lines (stderr is not a terminal here) besides one line per failed or skipped file.
    const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('convert: ')).sort();
    expect(lines).toEqual([
      `FAILED ${path.join(inDir, 'empty.jpg')}: empty: file is empty (0 bytes)`,
      `skipped ${path.join(inDir, 'notes.txt')}: not an image (neither its name nor its first bytes are an image format's)`,
    ]);
    expect(result.stderr).toMatch(/^convert: \d\/5 \(\d PDF, \d failed\) · [\d.]+ images\/s$/m);
    expect(result.stdout).toMatch(/^converted 4 of 5 image\(s\), 1 failed, 1 skipped \(not images\), in [\d.]+ s/);
  });

  test('several folders and files: outputs relative to their common parent, no collisions', async () => {
    const out = path.join(root, 'out2');
    const result = await convert(path.join(inDir, 'a'), path.join(inDir, 'b'), '--out', out);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/FAILED|skipped/);
    expect(listFiles(out)).toEqual(['a/x.jpg.pdf', 'b/deep/y photo.JPEG.pdf', 'b/x.jpg.pdf']);

    const out3 = path.join(root, 'out3');
    expect((await convert(path.join(inDir, 'a/x.jpg'), path.join(inDir, 'b/x.jpg'), '--out', out3)).code).toBe(0);
    expect(listFiles(out3)).toEqual(['a/x.jpg.pdf', 'b/x.jpg.pdf']);

    const out4 = path.join(root, 'out4');
    expect((await convert(path.join(inDir, 'a/x.jpg'), '--out', out4)).stdout).toMatch(/^converted 1 of 1 image/);
    expect(listFiles(out4)).toEqual(['x.jpg.pdf']);
  });

  test('an output folder inside the input folder is not read back on the next run', async () => {
    const out = path.join(inDir, 'pdfs');
    await convert(inDir, '--out', out);
    const again = await convert(inDir, '--out', out);
    expect(again.stdout).toMatch(/^converted 4 of 5 image/);
    expect(listFiles(out).every((f) => !f.includes('.pdf.pdf'))).toBe(true);
  });

  test('--max-bytes and --max-pixels', async () => {
    const bytes = await convert(path.join(inDir, 'a'), '--out', path.join(root, 'o1'), '--max-bytes', '1000');
    expect(bytes.code).toBe(1);
    expect(bytes.stderr).toMatch(/FAILED .*x\.jpg: too-large: file is \d+ bytes, over the limit of 1000/);
    expect(fs.existsSync(path.join(root, 'o1'))).toBe(false);
    const pixels = await convert(path.join(inDir, 'a'), '--out', path.join(root, 'o2'), '--max-pixels', '1000');
    expect(pixels.stderr).toMatch(/too-large: image is 640×427/);
  });

  test('--validate-decode catches data a marker walk cannot (cut short, EOI appended)', async () => {
    let sos = 2;
    while (rocket[sos + 1] !== 0xda) sos += 2 + rocket.readUInt16BE(sos + 2);
    const file = path.join(root, 'cut.jpg');
    fs.writeFileSync(file, Buffer.concat([rocket.subarray(0, sos + 3000), Buffer.from([0xff, 0xd9])]));
    expect((await convert(file, '--out', path.join(root, 'o3'))).code).toBe(0);
    const validated = await convert(file, '--out', path.join(root, 'o4'), '--validate-decode', '--concurrency', '1');
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(/FAILED .*cut\.jpg: corrupt: image data is corrupt \(full decode failed: /);
  });

  test('a missing input is reported, the others still converted', async () => {
    const result = await convert(path.join(root, 'nope.jpg'), path.join(inDir, 'a'), '--out', path.join(root, 'o5'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FAILED .*nope\.jpg: cannot read: ENOENT/);
    expect(result.stdout).toMatch(/converted 1 of 2 image/);
  });

  test.each([
    [['--out', '/tmp/x'], /no input files or folders/],
    [['a.jpg'], /--out <dir> is required/],
    [['a.jpg', '--out', '/tmp/x', '--concurrency', '0'], /--concurrency 0: expected a whole number from 1 to 1024/],
    [['a.jpg', '--out', '/tmp/x', '--max-bytes', 'lots'], /--max-bytes lots: expected a whole number ≥ 1/],
    [['a.jpg', '--out', '/tmp/x', '--colour', 'red'], /unexpected argument '--colour'/],
    [['a.jpg', '--out'], /--out needs a value/],
  ])('usage error %p', async (argv, message) => {
    const result = await convert(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^spot-worker convert: .*\(see spot-worker convert --help\)$/m);
  });

  test('nothing to convert: a clear message and exit 2 (an empty folder, or only files that are not images)', async () => {
    const only = path.join(root, 'only-notes');
    fs.mkdirSync(only);
    const empty = await convert(only, '--out', path.join(root, 'o6'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`spot-worker convert: nothing to convert: no images in ${only}`);
    fs.writeFileSync(path.join(only, 'SOURCES.md'), '# where the images come from\n');
    const notes = await convert(only, '--out', path.join(root, 'o6'));
    expect(notes.code).toBe(2);
    expect(notes.stderr).toContain(`skipped ${path.join(only, 'SOURCES.md')}: not an image`);
    expect(notes.stderr).toContain('nothing to convert: no images in');
    expect(notes.stderr).toContain('(1 file(s) skipped, not images)');
    expect(fs.existsSync(path.join(root, 'o6'))).toBe(false);
  });

  test('an image without an image name is converted (recognised by its first bytes)', async () => {
    const file = path.join(root, 'scan-0001');
    fs.writeFileSync(file, rocket);
    const result = await convert(file, '--out', path.join(root, 'o7'));
    expect(result.code).toBe(0);
    expect(listFiles(path.join(root, 'o7'))).toEqual(['scan-0001.pdf']);
  });

  test('on a terminal, progress is a bar redrawn in place (the local mode progress component)', async () => {
    const wasTty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      const result = await convert(path.join(inDir, 'a'), path.join(inDir, 'b'), '--out', path.join(root, 'o8'));
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('\r\x1b[2Kconvert: [############################] 3/3 (3 PDF, 0 failed)');
    } finally {
      if (wasTty) Object.defineProperty(process.stderr, 'isTTY', wasTty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
  });

  test('dispatched by the CLI entry point', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['convert', '--help'])).toBe(0);
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toMatch(/usage: spot-worker convert <files or folders\.\.\.> --out <dir> \[options\]/);
      write.mockClear();
      expect(await main(['--version'])).toBe(0);
      expect(write.mock.calls.map((c) => String(c[0])).join('')).toBe(`${JSON.parse(fs.readFileSync(path.join(__dirname, '../../worker-runtime/package.json'), 'utf8')).version}\n`);
    } finally {
      write.mockRestore();
    }
  });
});
