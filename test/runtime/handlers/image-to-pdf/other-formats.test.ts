/**
 * PNG, GIF, WebP, TIFF and AVIF are detected by content and embedded losslessly: the PDF's
 * (Flate) samples are exactly the source's pixels. Inputs are generated here from known pixels.
 */
import sharp from 'sharp';
import { inflate, inspectPdf } from './pdf-inspect';
import { convertImageToPdf, detectFormat, imageToPdfHandler } from '../../../../worker-runtime/src/handlers/image-to-pdf';

const W = 37;
const H = 23;

/** Deterministic noise: lossless round trips are visible only on pixels a codec cannot guess. */
function noise(length: number, seed: number, levels = 256): Buffer {
  const out = Buffer.alloc(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = Math.floor((Math.floor(s / 256) % levels) * (255 / Math.max(1, levels - 1)));
  }
  return out;
}

function fromRaw(pixels: Buffer, channels: 1 | 2 | 3 | 4, width = W, height = H): sharp.Sharp {
  return sharp(pixels, { raw: { width, height, channels } });
}

describe('lossless embedding of non-JPEG formats', () => {
  test('PNG RGB: exact pixels, DeviceRGB, no soft mask', async () => {
    const pixels = noise(W * H * 3, 1);
    const png = await fromRaw(pixels, 3).png().toBuffer();
    expect(detectFormat(png).format).toBe('png');
    const [page] = await inspectPdf(await convertImageToPdf(png));
    expect(page.image.filter).toBe('/FlateDecode');
    expect(page.image.colourSpace).toBe('/DeviceRGB');
    expect([page.image.width, page.image.height, page.image.bitsPerComponent]).toEqual([W, H, 8]);
    expect(page.image.softMask).toBeUndefined();
    expect(Buffer.compare(inflate(page.image), pixels)).toBe(0);
  });

  test('PNG RGBA: colour and alpha separated exactly (alpha as /SMask)', async () => {
    const pixels = noise(W * H * 4, 2);
    const png = await fromRaw(pixels, 4).png().toBuffer();
    const [page] = await inspectPdf(await convertImageToPdf(png));
    const colour = Buffer.alloc(W * H * 3);
    const alpha = Buffer.alloc(W * H);
    for (let p = 0; p < W * H; p++) {
      pixels.copy(colour, p * 3, p * 4, p * 4 + 3);
      alpha[p] = pixels[p * 4 + 3];
    }
    expect(Buffer.compare(inflate(page.image), colour)).toBe(0);
    expect(page.image.softMask!.colourSpace).toBe('/DeviceGray');
    expect(Buffer.compare(inflate(page.image.softMask!), alpha)).toBe(0);
  });

  test('PNG greyscale stays one channel (DeviceGray)', async () => {
    const pixels = noise(W * H, 3);
    const png = await fromRaw(pixels, 1).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const [page] = await inspectPdf(await convertImageToPdf(png));
    expect(page.image.colourSpace).toBe('/DeviceGray');
    expect(Buffer.compare(inflate(page.image), pixels)).toBe(0);
  });

  test('16-bit PNG keeps 16 bits per channel (big-endian samples)', async () => {
    const samples = new Uint16Array(W * H * 3);
    for (let i = 0; i < samples.length; i++) samples[i] = (i * 2654435761) % 65536;
    const png = await sharp(samples, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const [page] = await inspectPdf(await convertImageToPdf(png));
    expect(page.image.bitsPerComponent).toBe(16);
    const data = inflate(page.image);
    const decoded = Array.from({ length: samples.length }, (_, i) => data.readUInt16BE(i * 2));
    expect(decoded).toEqual(Array.from(samples));
  });

  test('16-bit greyscale PNG keeps 16 bits (DeviceGray)', async () => {
    const samples = new Uint16Array(W * H);
    for (let i = 0; i < samples.length; i++) samples[i] = (i * 40503) % 65536;
    const png = await sharp(samples, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    expect((await sharp(png).metadata()).space).toBe('grey16');
    const [page] = await inspectPdf(await convertImageToPdf(png));
    expect([page.image.colourSpace, page.image.bitsPerComponent]).toEqual(['/DeviceGray', 16]);
    const data = inflate(page.image);
    expect(Array.from({ length: samples.length }, (_, i) => data.readUInt16BE(i * 2))).toEqual(Array.from(samples));
  });

  test('GIF (palette) gives its exact colours', async () => {
    const pixels = noise(W * H * 3, 4, 4); // 4 levels per channel = 64 colours: fits a GIF palette
    const gif = await fromRaw(pixels, 3).gif({ dither: 0 }).toBuffer();
    expect(detectFormat(gif).format).toBe('gif');
    const [page] = await inspectPdf(await convertImageToPdf(gif));
    const decoded = await sharp(gif).removeAlpha().raw().toBuffer();
    expect(Buffer.compare(decoded, pixels)).toBe(0); // the GIF itself is lossless here
    expect(Buffer.compare(inflate(page.image), pixels)).toBe(0);
  });

  test('lossless WebP', async () => {
    const pixels = noise(W * H * 3, 5);
    const webp = await fromRaw(pixels, 3).webp({ lossless: true }).toBuffer();
    expect(detectFormat(webp).format).toBe('webp');
    const [page] = await inspectPdf(await convertImageToPdf(webp));
    expect(Buffer.compare(inflate(page.image), pixels)).toBe(0);
  });

  test('multi-page TIFF becomes a multi-page PDF, page by page', async () => {
    const pages = [noise(W * H * 3, 6), noise(W * H * 3, 7), noise(W * H * 3, 8)];
    const pngs = await Promise.all(pages.map((p) => fromRaw(p, 3).png().toBuffer()));
    const tiff = await sharp(pngs, { join: { animated: true } }).tiff({ compression: 'lzw' }).toBuffer();
    expect(detectFormat(tiff).format).toBe('tiff');
    expect((await sharp(tiff).metadata()).pages).toBe(3);
    const pdfPages = await inspectPdf(await convertImageToPdf(tiff));
    expect(pdfPages).toHaveLength(3);
    pdfPages.forEach((page, i) => expect(Buffer.compare(inflate(page.image), pages[i])).toBe(0));
  });

  test('CMYK TIFF stays CMYK (DeviceCMYK, samples as stored)', async () => {
    const cmyk = noise(W * H * 4, 13);
    const tiff = await sharp(cmyk, { raw: { width: W, height: H, channels: 4 } }).toColourspace('cmyk').tiff().toBuffer();
    expect((await sharp(tiff).metadata()).space).toBe('cmyk');
    const [page] = await inspectPdf(await convertImageToPdf(tiff));
    expect(page.image.colourSpace).toBe('/DeviceCMYK');
    expect(page.image.decode).toBeUndefined();
    const stored = await sharp(tiff, { ignoreIcc: true }).toColourspace('cmyk').raw().toBuffer();
    expect(Buffer.compare(inflate(page.image), stored)).toBe(0);
  });

  test('AVIF: the decoded pixels, exactly', async () => {
    const pixels = noise(W * H * 3, 9);
    const avif = await fromRaw(pixels, 3).avif({ lossless: true }).toBuffer();
    expect(detectFormat(avif).format).toBe('avif');
    const [page] = await inspectPdf(await convertImageToPdf(avif));
    const decoded = await sharp(avif, { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.compare(inflate(page.image), decoded)).toBe(0);
  });

  test('an embedded ICC profile is kept as ICCBased', async () => {
    const png = await fromRaw(noise(W * H * 3, 10), 3).withIccProfile('p3').png().toBuffer();
    const profile = (await sharp(png).metadata()).icc!;
    const [page] = await inspectPdf(await convertImageToPdf(png));
    expect(page.image.colourSpace).toBe('/ICCBased');
    expect(page.image.iccN).toBe(3);
    expect(Buffer.compare(Buffer.from(page.image.iccProfile!), profile)).toBe(0);
  });

  test('page size from the PNG density (pHYs)', async () => {
    const base = fromRaw(noise(288 * 144 * 3, 11), 3, 288, 144);
    const [dense] = await inspectPdf(await convertImageToPdf(await base.clone().png().withMetadata({ density: 144 }).toBuffer()));
    expect(dense.width).toBeCloseTo(144, 1);
    expect(dense.height).toBeCloseTo(72, 1);
  });

  test('EXIF orientation of a non-JPEG is honoured like a JPEG\'s (TIFF, orientation 6)', async () => {
    const tiff = await fromRaw(noise(W * H * 3, 14), 3).tiff().withMetadata({ orientation: 6, density: 72 }).toBuffer();
    expect((await sharp(tiff).metadata()).orientation).toBe(6);
    const [page] = await inspectPdf(await convertImageToPdf(tiff));
    expect([page.image.width, page.image.height]).toEqual([W, H]); // pixels as stored
    expect([page.width, page.height]).toEqual([H, W]); // page turned
    expect(page.matrix).toEqual([0, -W, H, 0, 0, W]);
  });

  test('the handler converts a PNG named .jpg by its content', async () => {
    const pixels = noise(W * H * 3, 12);
    const png = await fromRaw(pixels, 3).png().toBuffer();
    const out = await imageToPdfHandler().handle(
      { key: 'uploads/renamed.jpg', bucket: 'b', body: png },
      { signal: new AbortController().signal },
    );
    expect(out.contentType).toBe('application/pdf');
    expect(out.extension).toBe('.pdf');
    const [page] = await inspectPdf(out.body);
    expect(Buffer.compare(inflate(page.image), pixels)).toBe(0);
  });
});
