/**
 * JPEGs whose coding process a PDF's DCTDecode cannot carry become PDFs of their decoded samples
 * (Flate), exactly what libjpeg decodes; only what the decoder cannot decode fails, and the reason
 * names the file's coding process. The arithmetic-coded fixtures are `jpegtran -arithmetic` of
 * Huffman-coded ones (same DCT coefficients), so their decode must equal the original's.
 */
import sharp from 'sharp';
import { fixture, startOfScan } from './fixtures';
import { inflate, inspectPdf, InspectedPage } from './pdf-inspect';
import { convertImageToPdf, ImageInputError, ImageToPdfOptions } from '../../../../worker-runtime/src/handlers/image-to-pdf';

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

describe('what the decoder cannot decode fails, naming the coding process', () => {
  const rocket = fixture('skimage_rocket.jpg');

  // Header-level variants: sharp's libjpeg rejects these processes when it reads the frame header,
  // before any compressed data, so the header is what decides the outcome.
  test('12-bit extended sequential DCT (SOF1)', async () => {
    const err = await failure(withFrame(rocket, 0xc1, 12));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(/^12-bit extended sequential DCT \(SOF1\) JPEG cannot be embedded in a PDF as it is .* and the decoder cannot decode it: .*precision 12/);
  });

  test('lossless (SOF3)', async () => {
    const err = await failure(withFrame(rocket, 0xc3));
    expect(err.kind).toBe('unsupported-format');
    expect(err.message).toMatch(/^8-bit lossless \(SOF3\) JPEG cannot be embedded in a PDF as it is .* and the decoder cannot decode it: /);
  });

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
