/**
 * `npx spot-worker convert`, run as a user runs it, on a PNG that records no density (no `pHYs`):
 * the page is at the default 96 dpi, and at 48 dpi with `--default-dpi 48`; the image fills it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { withoutPngChunk } from './handlers/image-to-pdf/fixtures';
import { inspectPdf } from './handlers/image-to-pdf/pdf-inspect';
import { ensureRuntimeCompiled } from '../integration/moto/moto-world';

const ROOT = path.join(__dirname, '..', '..');
const W = 240;
const H = 120;

describe('npx spot-worker convert: a PNG without pHYs', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    ensureRuntimeCompiled();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convert-dpi-'));
    input = path.join(dir, 'no-phys.png');
    const png = await sharp({ create: { width: W, height: H, channels: 3, background: '#3366cc' } }).png().toBuffer();
    const bare = withoutPngChunk(png, 'pHYs');
    expect(bare.includes(Buffer.from('pHYs'))).toBe(false);
    fs.writeFileSync(input, bare);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function convertPage(...flags: string[]) {
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const r = spawnSync('npx', ['--yes', 'spot-worker', 'convert', input, '--out', out, ...flags], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^converted 1 of 1 /);
    const pages = await inspectPdf(fs.readFileSync(path.join(out, 'no-phys.png.pdf')));
    expect(pages).toHaveLength(1);
    return pages[0];
  }

  test('gives a page at the default 96 dpi, the image filling it', async () => {
    const page = await convertPage();
    expect([page.width, page.height]).toEqual([(W * 72) / 96, (H * 72) / 96]); // 180 × 90 pt
    expect(page.matrix).toEqual([180, 0, 0, 90, 0, 0]);
    expect([page.image.width, page.image.height]).toEqual([W, H]);
  });

  test('with --default-dpi 48 gives a page at 48 dpi', async () => {
    const page = await convertPage('--default-dpi', '48');
    expect([page.width, page.height]).toEqual([(W * 72) / 48, (H * 72) / 48]); // 360 × 180 pt
    expect(page.matrix).toEqual([360, 0, 0, 180, 0, 0]);
    expect([page.image.width, page.image.height]).toEqual([W, H]);
  });
});
