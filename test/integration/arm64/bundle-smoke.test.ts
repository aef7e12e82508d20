/**
 * Smoke test of the arm64 deployment bundle (worker-runtime/dist/bundle-arm64), run the way a
 * Graviton instance runs it: the arm64 Node 22 from the npm registry, under
 * qemu-aarch64-static with Debian's arm64 glibc. Proves the bundle starts, sharp's linux-arm64
 * binaries load, and an image converts to a PDF whose JPEG stream is the input, byte for byte.
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { describeWithPeers, peerPath } from '../../support/peers';

const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'worker-runtime', 'dist', 'bundle-arm64');
const SHARP_VERSION = '0.34.5';
const run = promisify(execFile);

/** ELF e_machine of a native addon: 183 is EM_AARCH64. */
function elfMachine(file: string): number {
  const header = fs.readFileSync(file).subarray(0, 20);
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

describeWithPeers(['QEMU_AARCH64_BIN', 'NODE_ARM64_BIN', 'AARCH64_SYSROOT', 'PDFIMAGES_BIN'], 'arm64 bundle under qemu-aarch64', () => {
  let tmp: string;

  /** Runs the arm64 Node under qemu with the given arguments. */
  function arm64Node(args: string[], cwd = tmp) {
    return run(peerPath('QEMU_AARCH64_BIN')!, ['-L', peerPath('AARCH64_SYSROOT')!, peerPath('NODE_ARM64_BIN')!, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: tmp },
      timeout: 90_000,
      maxBuffer: 8 * 1024 * 1024,
    });
  }

  beforeAll(() => {
    // The test command builds the bundle first; when jest is run alone this builds it (or
    // finds it up to date, which takes well under a second).
    execFileSync(process.execPath, [path.join(ROOT, 'worker-runtime', 'scripts', 'build-bundle.mjs'), '--sharp-version', SHARP_VERSION], {
      cwd: ROOT, stdio: 'pipe',
    });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'arm64-smoke-'));
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the bundle holds the CLI and sharp with linux-arm64 (not x64) binaries', () => {
    expect(fs.statSync(path.join(BUNDLE, 'spot-worker.js')).size).toBeGreaterThan(0);
    const sharpPkg = JSON.parse(fs.readFileSync(path.join(BUNDLE, 'node_modules', 'sharp', 'package.json'), 'utf8'));
    expect(sharpPkg.version).toBe(SHARP_VERSION);
    const addon = path.join(BUNDLE, 'node_modules', '@img', 'sharp-linux-arm64', 'lib', 'sharp-linux-arm64.node');
    expect(elfMachine(addon)).toBe(183);
    const img = fs.readdirSync(path.join(BUNDLE, 'node_modules', '@img'));
    expect(img).toEqual(expect.arrayContaining(['sharp-linux-arm64', 'sharp-libvips-linux-arm64']));
    expect(img.filter((n) => /x64|darwin|win32|musl/.test(n))).toEqual([]);
  });

  test('the emulated Node is arm64 and loads the bundled sharp, which encodes and decodes', async () => {
    const script = `
      const sharp = require(${JSON.stringify(path.join(BUNDLE, 'node_modules', 'sharp'))});
      sharp({ create: { width: 16, height: 8, channels: 3, background: '#3366cc' } }).jpeg().toBuffer()
        .then((jpg) => sharp(jpg).metadata())
        .then((m) => console.log(JSON.stringify({ arch: process.arch, version: process.versions.node, vips: sharp.versions.vips, format: m.format, width: m.width })));
    `;
    const { stdout } = await arm64Node(['-e', script]);
    const out = JSON.parse(stdout.trim());
    expect(out).toMatchObject({ arch: 'arm64', format: 'jpeg', width: 16 });
    expect(out.version).toMatch(/^22\./);
    expect(out.vips).toMatch(/^\d+\.\d+/);
  });

  test('spot-worker.js --help loads every command module (AWS SDK included) on arm64', async () => {
    const { stdout } = await arm64Node([path.join(BUNDLE, 'spot-worker.js'), '--help']);
    // Each command prints its own usage, with arguments or a description, only when its module
    // (and everything it imports) loaded; a bare name is the dispatcher's fallback.
    for (const command of ['convert', 'run', 'local']) expect(stdout).toMatch(new RegExp(`spot-worker ${command} +\\S`));
  });

  test('spot-worker.js run explains a missing configuration and exits 2', async () => {
    const err = await arm64Node([path.join(BUNDLE, 'spot-worker.js'), 'run']).then(() => undefined, (e: { code?: number; stderr?: string }) => e);
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/SPOT_WORKER_QUEUE_URL is required/);
  });

  test('spot-worker.js convert turns a JPEG into a PDF that embeds it byte for byte', async () => {
    const jpeg = await sharp({ create: { width: 320, height: 200, channels: 3, background: '#c04020' } })
      .composite([{ input: Buffer.from('<svg width="320" height="200"><circle cx="160" cy="100" r="80" fill="#2060c0"/></svg>') }])
      .jpeg({ quality: 88 })
      .withMetadata({ density: 144 })
      .toBuffer();
    const input = path.join(tmp, 'in', 'a photo.jpg');
    const outDir = path.join(tmp, 'out');
    fs.mkdirSync(path.dirname(input), { recursive: true });
    fs.writeFileSync(input, jpeg);

    await arm64Node([path.join(BUNDLE, 'spot-worker.js'), 'convert', input, '--out', outDir]);

    const pdfs = fs.readdirSync(outDir).filter((f) => f.endsWith('.pdf'));
    expect(pdfs).toHaveLength(1);
    const pdfFile = path.join(outDir, pdfs[0]);
    const pdf = fs.readFileSync(pdfFile);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const doc = await PDFDocument.load(new Uint8Array(pdf));
    expect(doc.getPageCount()).toBe(1);
    // 320 × 200 px at 144 dpi is 160 × 100 pt.
    const { width, height } = doc.getPage(0).getSize();
    expect(width).toBeCloseTo(160, 0);
    expect(height).toBeCloseTo(100, 0);

    execFileSync(peerPath('PDFIMAGES_BIN')!, ['-j', pdfFile, path.join(tmp, 'extracted')]);
    const extracted = fs.readdirSync(tmp).filter((f) => f.startsWith('extracted'));
    expect(extracted).toEqual(['extracted-000.jpg']);
    expect(Buffer.compare(fs.readFileSync(path.join(tmp, extracted[0])), jpeg)).toBe(0);
  });
});
