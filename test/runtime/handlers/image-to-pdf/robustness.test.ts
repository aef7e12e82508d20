/**
 * Damaged headers never escape as anything but a clear ImageInputError, and never produce a PDF
 * with a degenerate page: seeded, bounded mutations of real JPEGs (truncations, overwritten header
 * bytes, a damaged EXIF block).
 */
import { PDFDocument } from 'pdf-lib';
import { fixture, startOfScan } from './fixtures';
import { convertImageToPdf, ImageInputError } from '../../../../worker-runtime/src/handlers/image-to-pdf';

const ITERATIONS = 150;

function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor(s / 65536) % n;
  };
}

async function outcome(bytes: Buffer): Promise<string> {
  try {
    const pdf = await PDFDocument.load(await convertImageToPdf(bytes));
    const pages = pdf.getPages();
    expect(pages.length).toBe(1);
    const { width, height } = pages[0].getSize();
    expect(width).toBeGreaterThan(0);
    expect(height).toBeGreaterThan(0);
    expect(Math.max(width, height)).toBeLessThanOrEqual(14400);
    return 'pdf';
  } catch (err) {
    if (err instanceof ImageInputError) return err.kind;
    throw err;
  }
}

describe.each(['var_exif6_rocket.jpg', 'plasma_Autumn_screenshot.jpg', 'imdoc_images_wizard.jpg'])('mutations of %s', (name) => {
  const original = fixture(name);
  const headerEnd = startOfScan(original) + 12;

  test(`${ITERATIONS} overwritten header bytes: a PDF or an ImageInputError`, async () => {
    const rnd = random(name.length);
    const kinds = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const damaged = Buffer.from(original);
      const count = 1 + rnd(4);
      for (let k = 0; k < count; k++) damaged[2 + rnd(headerEnd - 2)] = rnd(256);
      kinds.add(await outcome(damaged));
    }
    expect(kinds.has('pdf')).toBe(true);
    expect([...kinds].some((k) => k !== 'pdf')).toBe(true);
  });

  test(`${ITERATIONS} truncations: always an error, never a PDF`, async () => {
    const rnd = random(name.length + 1);
    for (let i = 0; i < ITERATIONS; i++) {
      const cut = rnd(original.length - 1);
      expect(['empty', 'truncated', 'corrupt']).toContain(await outcome(original.subarray(0, cut)));
    }
  });
});

test('absurd densities fall back to the default instead of a zero or giant page', async () => {
  const jpeg = Buffer.from(fixture('skimage_rocket.jpg'));
  const jfif = jpeg.indexOf(Buffer.from('JFIF\0'));
  jpeg[jfif + 7] = 1; // dots per inch
  jpeg.writeUInt16BE(65535, jfif + 8);
  jpeg.writeUInt16BE(0, jfif + 10); // y density 0
  const [page] = (await PDFDocument.load(await convertImageToPdf(jpeg))).getPages();
  expect(page.getSize().width).toBeCloseTo(640 * 72 / 96, 2);
});
