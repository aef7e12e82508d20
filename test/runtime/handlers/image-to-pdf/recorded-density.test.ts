/**
 * Page size comes from the density the file records, and only from that: an image that records
 * none gets the default (96 dpi, or `defaultDpi`), whatever sharp reports for it. sharp reports
 * 72 dpi for a PNG without `pHYs` and hides a recorded 1 pixel/mm, so PNG and TIFF are read directly.
 */
import sharp from 'sharp';
import { tiffWithoutResolution, withoutPngChunk, withPhys } from './fixtures';
import { inspectPdf } from './pdf-inspect';
import { convertImageToPdf } from '../../../../worker-runtime/src/handlers/image-to-pdf';

const W = 192;
const H = 96;
const pixels = (seed: number) => Buffer.from(Array.from({ length: W * H * 3 }, (_, i) => (i * seed) % 251));
const png = () => sharp(pixels(7), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();

async function pageSize(image: Buffer, defaultDpi?: number): Promise<[number, number]> {
  const [page] = await inspectPdf(await convertImageToPdf(image, defaultDpi ? { defaultDpi } : {}));
  expect(page.matrix).toEqual([page.width, 0, 0, page.height, 0, 0]); // the image fills the page
  return [page.width, page.height];
}

describe('recorded density or the default', () => {
  test('a PNG without pHYs gets the default 96 dpi, not the 72 dpi sharp reports for it', async () => {
    const bare = withoutPngChunk(await png(), 'pHYs');
    expect((await sharp(bare).metadata()).density).toBe(72); // what made it wrong
    expect(await pageSize(bare)).toEqual([(W * 72) / 96, (H * 72) / 96]);
  });

  test('a PNG without pHYs honours defaultDpi', async () => {
    const bare = withoutPngChunk(await png(), 'pHYs');
    expect(await pageSize(bare, 48)).toEqual([(W * 72) / 48, (H * 72) / 48]);
    expect(await pageSize(bare, 72)).toEqual([W, H]);
  });

  test('a PNG whose pHYs gives only an aspect ratio (unit 0) gets the default', async () => {
    expect(await pageSize(withPhys(await png(), 1, 1, 0), 48)).toEqual([(W * 72) / 48, (H * 72) / 48]);
  });

  test('a recorded pHYs is honoured exactly, 1 pixel/mm (which sharp reports as no density) included', async () => {
    // 1000 px/m = 25.4 dpi; 11811 px/m = 299.9994 dpi (what "300 dpi" PNGs record)
    const [w1, h1] = await pageSize(withPhys(await png(), 1000, 1000, 1), 48);
    expect(w1).toBeCloseTo((W * 72) / 25.4, 2);
    expect(h1).toBeCloseTo((H * 72) / 25.4, 2);
    const [w, h] = await pageSize(withPhys(await png(), 11811, 5906, 1), 48);
    expect(w).toBeCloseTo((W * 72 * 39.3700787) / 11811, 2);
    expect(h).toBeCloseTo((H * 72 * 39.3700787) / 5906, 2); // x and y densities kept apart
  });

  test('a TIFF without resolution tags honours defaultDpi; recorded ones are kept, 1 pixel/mm included', async () => {
    const bare = tiffWithoutResolution(pixels(11), W, H);
    expect((await sharp(bare).metadata()).width).toBe(W);
    expect(await pageSize(bare, 48)).toEqual([(W * 72) / 48, (H * 72) / 48]);
    const raw = sharp(pixels(11), { raw: { width: W, height: H, channels: 3 } });
    expect(await pageSize(await raw.clone().tiff().withMetadata({ density: 144 }).toBuffer(), 48)).toEqual([W / 2, H / 2]);
    // sharp writes 10 pixels/cm when no density is set, and reports that back as none
    const [w] = await pageSize(await raw.clone().tiff().toBuffer(), 48);
    expect(w).toBeCloseTo((W * 72) / 25.4, 2);
  });

  test.each(['webp', 'gif', 'avif'] as const)('%s without a recorded density honours defaultDpi', async (format) => {
    const image = await sharp(pixels(13), { raw: { width: W, height: H, channels: 3 } })[format]().toBuffer();
    expect(await pageSize(image, 48)).toEqual([(W * 72) / 48, (H * 72) / 48]);
  });
});
