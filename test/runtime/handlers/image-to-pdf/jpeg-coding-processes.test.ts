/**
 * JPEGs whose coding process a PDF's DCTDecode cannot carry become PDFs of their decoded samples
 * (Flate), exactly what libjpeg decodes; only what the decoder cannot decode fails, and the reason
 * names the file's coding process. The arithmetic-coded fixtures are `jpegtran -arithmetic` of
 * Huffman-coded ones (same DCT coefficients), so their decode must equal the original's.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { fixture, startOfScan } from './fixtures';
import { inflate, inspectPdf, InspectedPage } from './pdf-inspect';
import { convertImageToPdf, ImageInputError, ImageToPdfOptions } from '../../../../worker-runtime/src/handlers/image-to-pdf';
import { describeWithPeers, peerPath } from '../../../support/peers';

/** Samples of a binary PGM/PPM (P5/P6): 8-bit bytes, or 16-bit big-endian values. */
function pnmSamples(name: string): number[] {
  const bytes = fixture(name);
  const header = /^P[56]\n(\d+) (\d+)\n(\d+)\n/.exec(bytes.toString('latin1', 0, 32))!;
  const data = bytes.subarray(header[0].length);
  if (Number(header[3]) < 256) return Array.from(data);
  return Array.from({ length: data.length / 2 }, (_, i) => data.readUInt16BE(i * 2));
}

function samples16(data: Buffer): number[] {
  return Array.from({ length: data.length / 2 }, (_, i) => data.readUInt16BE(i * 2));
}

async function pdfPage(bytes: Buffer, options?: ImageToPdfOptions): Promise<InspectedPage> {
  const pages = await inspectPdf(await convertImageToPdf(bytes, options));
  expect(pages).toHaveLength(1);
  return pages[0];
}

async function failure(bytes: Uint8Array, options?: ImageToPdfOptions): Promise<ImageInputError> {
  const err = await convertImageToPdf(bytes, options).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImageInputError);
  return err as ImageInputError;
}

/** The file with its frame header's marker and sample precision replaced (header-level variants). */
function withFrame(jpeg: Buffer, marker: number, bits = 8): Buffer {
  const out = Buffer.from(jpeg);
  const sof = out.indexOf(Buffer.from([0xff, 0xc0]));
  out[sof + 1] = marker;
  out[sof + 4] = bits;
  return out;
}

describe('arithmetic-coded JPEGs are decoded, not rejected', () => {
  test('SOF9 (sequential): Flate samples identical to the decode of its Huffman original, ICC profile and page kept', async () => {
    const arith = fixture('arith_rocket.jpg');
    const page = await pdfPage(arith);
    const original = await pdfPage(fixture('skimage_rocket.jpg'));
    expect(page.image.filter).toBe('/FlateDecode');
    expect([page.image.width, page.image.height, page.image.bitsPerComponent]).toEqual([640, 427, 8]);
    const expected = await sharp(fixture('skimage_rocket.jpg'), { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.compare(inflate(page.image), expected)).toBe(0);
    expect([page.image.colourSpace, page.image.iccN]).toEqual([original.image.colourSpace, original.image.iccN]);
    expect(Buffer.compare(Buffer.from(page.image.iccProfile!), Buffer.from(original.image.iccProfile!))).toBe(0);
    expect([page.width, page.height, page.matrix]).toEqual([original.width, original.height, original.matrix]);
  });

  test('SOF10 (progressive) Adobe CMYK: plain CMYK samples without the inverting Decode array', async () => {
    const page = await pdfPage(fixture('arithprog_cmyk_adobe_rocket.jpg'));
    expect(page.image.filter).toBe('/FlateDecode');
    expect(page.image.decode).toBeUndefined(); // libjpeg already undid Adobe's inversion
    expect(page.image.colourSpace === '/DeviceCMYK' || page.image.iccN === 4).toBe(true);
    const expected = await sharp(fixture('var_cmyk_adobe_rocket.jpg'), { ignoreIcc: true }).toColourspace('cmyk').raw().toBuffer();
    expect(Buffer.compare(inflate(page.image), expected)).toBe(0);
    // The embedded original says the same colours: stored samples inverted by its Decode array.
    expect((await pdfPage(fixture('var_cmyk_adobe_rocket.jpg'))).image.decode).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
  });

  test('SOF10 with EXIF orientation 6: the page is turned exactly as for its Huffman original', async () => {
    const page = await pdfPage(fixture('arithprog_exif6_rocket.jpg'));
    const original = await pdfPage(fixture('var_exif6_rocket.jpg'));
    expect(page.image.filter).toBe('/FlateDecode');
    expect([page.width, page.height, page.matrix]).toEqual([original.width, original.height, original.matrix]);
    const expected = await sharp(fixture('var_exif6_rocket.jpg'), { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.compare(inflate(page.image), expected)).toBe(0);
  });

  test('the default density (and defaultDpi) applies to a decoded JPEG that records none', async () => {
    const arith = fixture('arith_rocket.jpg');
    const noJfif = Buffer.from(arith);
    const app0 = noJfif.indexOf(Buffer.from('JFIF\0'));
    noJfif[app0 + 7] = 0; // JFIF units 0: an aspect ratio, no density
    const page = await pdfPage(noJfif, { defaultDpi: 48 });
    expect([page.width, page.height]).toEqual([640 * 1.5, 427 * 1.5]);
  });

  test('with validateDecode, a damaged arithmetic-coded JPEG fails as corrupt, naming its process', async () => {
    const arith = fixture('arith_rocket.jpg');
    const cut = Buffer.concat([arith.subarray(0, startOfScan(arith) + 4000), Buffer.from([0xff, 0xd9])]);
    const err = await failure(cut, { validateDecode: true });
    expect(err.kind).toBe('corrupt');
    expect(err.message).toMatch(/^8-bit arithmetic-coded extended sequential DCT \(SOF9\) JPEG cannot be decoded: /);
  });
});

describe('lossless JPEGs (SOF3) become exactly their samples', () => {
  // Made by DCMTK's and GDCM's lossless JPEG encoders from the PGM/PPM beside them (test/fixtures/SOURCES.md):
  // lossless means the PDF's samples must equal the source's.
  test('8-bit grey and RGB (decoded by sharp\'s libjpeg)', async () => {
    const grey = await pdfPage(fixture('lossless8_grey_rocket.jpg'));
    expect([grey.image.filter, grey.image.colourSpace, grey.image.bitsPerComponent]).toEqual(['/FlateDecode', '/DeviceGray', 8]);
    expect(Array.from(inflate(grey.image))).toEqual(pnmSamples('rocket160_grey8.pgm'));
    const rgb = await pdfPage(fixture('lossless8_rgb_rocket.jpg'));
    expect([rgb.image.colourSpace, rgb.image.bitsPerComponent]).toEqual(['/DeviceRGB', 8]);
    expect(Array.from(inflate(rgb.image))).toEqual(pnmSamples('rocket160_rgb8.ppm'));
  });

  test.each([
    ['lossless16_sv1_rocket.jpg', 'predictor 1'],
    ['lossless16_sv5_rocket.jpg', 'predictor 5'],
    ['lossless16_sv6_rocket.jpg', 'predictor 6'],
  ])('16-bit grey, %s (%s; our decoder): 16 bits per sample, every sample exact', async (name) => {
    const page = await pdfPage(fixture(name));
    expect([page.image.filter, page.image.colourSpace, page.image.bitsPerComponent, page.image.decode]).toEqual(['/FlateDecode', '/DeviceGray', 16, undefined]);
    expect([page.image.width, page.image.height]).toEqual([160, 107]);
    expect(samples16(inflate(page.image))).toEqual(pnmSamples('rocket160_grey16.pgm'));
  });

  test('12-bit samples coded at 16-bit precision (predictor 4): the values as coded', async () => {
    const page = await pdfPage(fixture('lossless12in16_sv4_rocket.jpg'));
    expect(page.image.bitsPerComponent).toBe(16);
    expect(samples16(inflate(page.image))).toEqual(pnmSamples('rocket160_grey12.pgm'));
  });

  test('12-bit precision, predictor 7, point transform 2: DCMTK\'s own decode, a /Decode array maps 0..4095 onto 0..1', async () => {
    const page = await pdfPage(fixture('lossless12_sv7_pt2_rocket.jpg'));
    expect(page.image.bitsPerComponent).toBe(16);
    expect(page.image.decode).toEqual([0, Number((65535 / 4095).toFixed(6))]);
    // DCMTK's older codec (+pl) rescales while encoding, so the reference is its decoder's output (dcmdjpeg).
    const decoded = samples16(inflate(page.image));
    expect(decoded).toEqual(pnmSamples('lossless12_sv7_pt2_rocket.dcmdjpeg.pgm'));
    expect(decoded.every((v) => v % 4 === 0 && v < 4096)).toBe(true); // point transform 2: the low 2 bits are 0
  });

  test('with validateDecode, a lossless JPEG cut short fails as corrupt', async () => {
    const whole = fixture('lossless16_sv1_rocket.jpg');
    const cut = Buffer.concat([whole.subarray(0, startOfScan(whole) + 5000), Buffer.from([0xff, 0xd9])]);
    expect((await pdfPage(cut)).image.bitsPerComponent).toBe(16); // decoded as zeros past the end, as libjpeg does
    const err = await failure(cut, { validateDecode: true });
    expect(err.kind).toBe('corrupt');
    expect(err.message).toMatch(/premature end of data segment/);
  });
});

describeWithPeers(['PDFTOPPM_BIN'], 'lossless JPEGs over 8 bits as rendered by poppler (pdftoppm)', () => {
  /** Mean absolute difference between poppler's 8-bit grey rendering at 1:1 and `expected` (0..1 per sample). */
  async function renderDifference(name: string, expected: number[]): Promise<number> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lossless-render-'));
    try {
      fs.writeFileSync(path.join(dir, 'p.pdf'), await convertImageToPdf(fixture(name), { defaultDpi: 72 }));
      execFileSync(peerPath('PDFTOPPM_BIN')!, ['-r', '72', '-gray', '-png', '-singlefile', path.join(dir, 'p.pdf'), path.join(dir, 'p')]);
      const { data, info } = await sharp(path.join(dir, 'p.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([160, 107]);
      return expected.reduce((sum, v, i) => sum + Math.abs(data[i] - v * 255), 0) / expected.length;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // Poppler's 1:1 rendering differs from the samples by about 3.7 on average for the 8-bit lossless
  // fixture already (its resampling); 16-bit samples are cut to 8 bits before the /Decode array is applied.
  test('16-bit samples are shown at their 16-bit values', async () => {
    const [grey8, grey16] = await Promise.all([
      renderDifference('lossless8_grey_rocket.jpg', pnmSamples('rocket160_grey8.pgm').map((v) => v / 255)),
      renderDifference('lossless16_sv1_rocket.jpg', pnmSamples('rocket160_grey16.pgm').map((v) => v / 65535)),
    ]);
    expect(grey16).toBeLessThan(grey8 + 1);
  });

  test('12-bit samples are shown at their 12-bit values (the /Decode array), not 16 times too dark', async () => {
    const samples = pnmSamples('lossless12_sv7_pt2_rocket.dcmdjpeg.pgm');
    const shown = await renderDifference('lossless12_sv7_pt2_rocket.jpg', samples.map((v) => v / 4095));
    const asIf16Bit = samples.reduce((sum, v) => sum + Math.abs(v / 4095 - v / 65535) * 255, 0) / samples.length;
    expect(asIf16Bit).toBeGreaterThan(50); // what a missing /Decode array would look like
    expect(shown).toBeLessThan(12); // poppler's 8-bit cut leaves 16 grey levels of 12-bit data: ≈ 4 more than 8-bit

  });
});

describe('what the decoder cannot decode fails, naming the coding process', () => {
  const rocket = fixture('skimage_rocket.jpg');

  test('12-bit extended sequential DCT (SOF1), a real one (DCMTK dcmcjpeg +ee +bt)', async () => {
    const err = await failure(fixture('extended12_rocket.jpg'));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(/^12-bit extended sequential DCT \(SOF1\) JPEG cannot be embedded in a PDF as it is .* and the decoder cannot decode it: .*precision 12/);
  });

  // Header-level variants: sharp's libjpeg rejects these processes when it reads the frame header,
  // before any compressed data, so the header is what decides the outcome.
  test('arithmetic-coded lossless (SOF11)', async () => {
    const err = await failure(withFrame(rocket, 0xcb));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(/arithmetic-coded lossless \(SOF11\)/);
  });

  test.each([
    ['SOF5', 0xc5, 'hierarchical \\(differential sequential DCT\\) \\(SOF5\\)'],
    ['SOF14', 0xce, 'arithmetic-coded hierarchical \\(differential progressive DCT\\) \\(SOF14\\)'],
  ])('hierarchical frame (%s)', async (_label, marker, name) => {
    const err = await failure(withFrame(rocket, marker));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(new RegExp(`^JPEG coding process ${name}: a hierarchical JPEG cannot be decoded`));
  });

  test('hierarchical file (DHP marker before its frames)', async () => {
    const dhp = Buffer.from([0xff, 0xde, 0x00, 0x0b, 0x08, 0x01, 0xab, 0x02, 0x80, 0x03, 0x01, 0x11, 0x00]);
    const err = await failure(Buffer.concat([rocket.subarray(0, 2), dhp, rocket.subarray(2)]));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(/^JPEG with a DHP marker at offset 2: a hierarchical JPEG cannot be decoded/);
  });
});
