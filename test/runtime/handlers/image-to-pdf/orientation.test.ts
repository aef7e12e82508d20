/**
 * EXIF orientations 1–8 shown upright without re-encoding: the JPEG bytes stay as they are and
 * the page's `cm` matrix rotates/mirrors them. The expected picture comes from sharp's own
 * auto-orientation of the same file (an independent reading of the EXIF tag); the PDF is checked
 * both by mapping sample points through its matrix and by rasterising it with poppler.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { quadrantImage } from './fixtures';
import { inspectPdf } from './pdf-inspect';
import { convertImageToPdf } from '../../../../worker-runtime/src/handlers/image-to-pdf';
import { describeWithPeers, peerPath } from '../../../support/peers';

const ORIENTATIONS = [1, 2, 3, 4, 5, 6, 7, 8];
/** Centres of the four quadrants, as fractions of the displayed width and height. */
const SAMPLES = [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]];

interface Raster { data: Buffer; width: number; height: number; channels: number }

async function orientedJpeg(orientation: number): Promise<Buffer> {
  return (await quadrantImage()).jpeg({ quality: 95 }).withMetadata({ orientation, density: 72 }).toBuffer();
}

/** Guards against a vacuous test: the four quadrants of the expected picture must differ clearly. */
function expectDistinctQuadrants(r: Raster): void {
  const colours = SAMPLES.map(([fx, fy]) => pixel(r, fx * r.width, fy * r.height));
  for (let i = 0; i < colours.length; i++) {
    for (let j = i + 1; j < colours.length; j++) {
      expect(Math.max(...colours[i].map((v, k) => Math.abs(v - colours[j][k])))).toBeGreaterThan(100);
    }
  }
}

async function raster(image: sharp.Sharp): Promise<Raster> {
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

function pixel(r: Raster, x: number, y: number): number[] {
  const at = (Math.min(r.height - 1, Math.floor(y)) * r.width + Math.min(r.width - 1, Math.floor(x))) * r.channels;
  return [r.data[at], r.data[at + 1], r.data[at + 2]];
}

function expectClose(actual: number[], expected: number[], what: string): void {
  const distance = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  if (distance > 40) throw new Error(`${what}: got rgb(${actual}) but expected rgb(${expected})`);
}

describe('EXIF orientation', () => {
  test.each(ORIENTATIONS)('orientation %i: the page matrix shows the stored pixels upright', async (orientation) => {
    const jpeg = await orientedJpeg(orientation);
    expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
    const upright = await raster(sharp(jpeg).rotate());
    const stored = await raster(sharp(jpeg));
    expectDistinctQuadrants(upright);
    const [page] = await inspectPdf(await convertImageToPdf(jpeg));

    expect(Buffer.compare(Buffer.from(page.image.data), jpeg)).toBe(0); // not re-encoded
    // written at 72 dpi, so page points equal displayed pixels
    expect(page.width).toBeCloseTo(upright.width, 3);
    expect(page.height).toBeCloseTo(upright.height, 3);

    const [a, b, c, d, e, f] = page.matrix;
    const det = a * d - b * c;
    for (const [fx, fy] of SAMPLES) {
      // page point (y up) → image unit square (v up, v = 1 is the first stored row) → stored pixel
      const x = fx * page.width;
      const y = (1 - fy) * page.height;
      const u = (d * (x - e) - c * (y - f)) / det;
      const v = (a * (y - f) - b * (x - e)) / det;
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expectClose(pixel(stored, u * stored.width, (1 - v) * stored.height),
        pixel(upright, fx * upright.width, fy * upright.height), `orientation ${orientation} at (${fx}, ${fy})`);
    }
  });
});

describeWithPeers(['PDFTOPPM_BIN'], 'EXIF orientation rendered by poppler (pdftoppm)', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'img2pdf-orientation-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(ORIENTATIONS)('orientation %i renders upright', async (orientation) => {
    const jpeg = await orientedJpeg(orientation);
    const upright = await raster(sharp(jpeg).rotate());
    const pdfPath = path.join(dir, `o${orientation}.pdf`);
    fs.writeFileSync(pdfPath, await convertImageToPdf(jpeg));
    const out = path.join(dir, `o${orientation}`);
    execFileSync(peerPath('PDFTOPPM_BIN')!, ['-r', '72', '-png', '-singlefile', pdfPath, out]);
    const rendered = await raster(sharp(`${out}.png`));
    expect([rendered.width, rendered.height]).toEqual([upright.width, upright.height]);
    for (const [fx, fy] of SAMPLES) {
      expectClose(pixel(rendered, fx * rendered.width, fy * rendered.height),
        pixel(upright, fx * upright.width, fy * upright.height), `orientation ${orientation} at (${fx}, ${fy})`);
    }
  });

  test('the corpus-derived EXIF-6 photo renders like its upright original', async () => {
    const pdfPath = path.join(dir, 'exif6.pdf');
    const source = path.join(__dirname, '..', '..', '..', 'fixtures', 'images', 'var_exif6_rocket.jpg');
    fs.writeFileSync(pdfPath, await convertImageToPdf(fs.readFileSync(source)));
    execFileSync(peerPath('PDFTOPPM_BIN')!, ['-r', '72', '-png', '-singlefile', pdfPath, path.join(dir, 'exif6')]);
    const rendered = await raster(sharp(path.join(dir, 'exif6.png')));
    const upright = await raster(sharp(source).rotate());
    const unrotated = await raster(sharp(source).resize(rendered.width, rendered.height, { fit: 'fill' }));
    expect([rendered.width, rendered.height]).toEqual([upright.width, upright.height]);
    const meanDiff = (x: Raster, y: Raster) => x.data.reduce((s, v, i) => s + Math.abs(v - y.data[i]), 0) / x.data.length;
    expect(meanDiff(rendered, upright)).toBeLessThan(6); // decoder differences only
    expect(meanDiff(rendered, unrotated)).toBeGreaterThan(20); // a sideways picture would be far off
  });
});
