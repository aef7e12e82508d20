/**
 * Input that can never be converted fails with a permanent error of a precise kind and a
 * message naming the problem — never a PDF. Damaged files are real ones from the corpus or
 * made here from a good fixture.
 */
import sharp from 'sharp';
import { fixture, startOfScan } from './fixtures';
import { isPermanent } from '../../../../worker-runtime/src/core/errors';
import { convertImageToPdf, ImageInputError, ImageToPdfOptions } from '../../../../worker-runtime/src/handlers/image-to-pdf';

async function failure(bytes: Uint8Array, options?: ImageToPdfOptions): Promise<ImageInputError> {
  try {
    await convertImageToPdf(bytes, options);
  } catch (err) {
    expect(isPermanent(err)).toBe(true);
    expect(err).toBeInstanceOf(ImageInputError);
    return err as ImageInputError;
  }
  throw new Error('expected the conversion to fail, but it produced a PDF');
}

const rocket = fixture('skimage_rocket.jpg');

describe('bad JPEGs', () => {
  test('an empty file', async () => {
    const err = await failure(fixture('bad_zero.jpg'));
    expect(err.kind).toBe('empty');
    expect(err.message).toMatch(/empty/);
  });

  test('a 20-byte header with no image data', async () => {
    const err = await failure(fixture('bad_truncated_header.jpg'));
    expect(err.kind).toBe('truncated');
    expect(err.message).toMatch(/before any image data/);
  });

  test("python3-skimage's shipped truncated.jpg (ends inside a table)", async () => {
    const err = await failure(fixture('bad_skimage_truncated.jpg'));
    expect(err.kind).toBe('truncated');
    expect(err.message).toMatch(/400 bytes/);
  });

  test('a file cut inside its compressed data (no end-of-image marker)', async () => {
    const half = rocket.subarray(0, Math.floor(rocket.length / 2));
    const err = await failure(half);
    expect(err.kind).toBe('truncated');
    expect(err.message).toMatch(/no end-of-image marker/);
  });

  test('a file cut one byte short of its end-of-image marker', async () => {
    const err = await failure(rocket.subarray(0, rocket.length - 1));
    expect(err.kind).toBe('truncated');
  });

  test('a marker that cannot appear inside the compressed data (bytes overwritten mid-image)', async () => {
    const damaged = Buffer.from(rocket);
    const middle = Math.floor((startOfScan(rocket) + rocket.length) / 2);
    damaged[middle] = 0xff;
    damaged[middle + 1] = 0x23;
    const err = await failure(damaged);
    expect(err.kind).toBe('corrupt');
    expect(err.message).toMatch(new RegExp(`0x23 at offset ${middle}`));
  });

  test('a second start-of-image marker in the headers', async () => {
    const damaged = Buffer.concat([rocket.subarray(0, 2), Buffer.from([0xff, 0xd8]), rocket.subarray(2)]);
    expect((await failure(damaged)).kind).toBe('corrupt');
  });

  test('garbage where a marker should be', async () => {
    const damaged = Buffer.from(rocket);
    damaged[2] = 0x12;
    const err = await failure(damaged);
    expect(err.kind).toBe('corrupt');
    expect(err.message).toMatch(/expected a marker at offset 2/);
  });

  test('an end-of-image marker before any scan', async () => {
    expect((await failure(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).kind).toBe('corrupt');
  });

});

describe('decode validation (corruption only a decoder can see)', () => {
  // Compressed data cut short, then an end-of-image marker: structurally a complete JPEG, but
  // the decoder runs out of data ("premature end of data segment").
  const cutWithEoi = Buffer.concat([rocket.subarray(0, startOfScan(rocket) + 4000), Buffer.from([0xff, 0xd9])]);

  test('without it, the marker walk cannot tell and the file converts', async () => {
    const pdf = await convertImageToPdf(cutWithEoi);
    expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
  });

  test('with it, the file fails as corrupt with the decoder\'s reason', async () => {
    const err = await failure(cutWithEoi, { validateDecode: true });
    expect(err.kind).toBe('corrupt');
    expect(err.message).toMatch(/full decode failed: .*premature end/i);
  });

  test('a good file passes validation and is still embedded unchanged', async () => {
    const pdf = await convertImageToPdf(rocket, { validateDecode: true });
    expect(Buffer.from(pdf).includes(rocket)).toBe(true);
  });
});

describe('not images, unsupported formats, limits', () => {
  test.each([
    ['plain text', Buffer.from('hello, this is not an image\n'), 'not-an-image', /starts with 68 65 6c 6c/],
    ['random bytes', Buffer.from([0x13, 0x37, 0x00, 0x42, 0x99]), 'not-an-image', /not a JPEG, PNG, GIF, WebP, TIFF or AVIF/],
    ['a PDF', Buffer.from('%PDF-1.7\n%...'), 'unsupported-format', /PDF/],
    ['a BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'unsupported-format', /BMP/],
  ])('%s', async (_name, bytes, kind, message) => {
    const err = await failure(bytes);
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  test('a PNG whose data is damaged fails as corrupt', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123456' } }).png().toBuffer();
    const damaged = Buffer.concat([png.subarray(0, 40), Buffer.alloc(30, 0x41)]);
    expect((await failure(damaged)).kind).toBe('corrupt');
  });

  test('over the byte limit', async () => {
    const err = await failure(rocket, { maxBytes: 1000 });
    expect(err.kind).toBe('too-large');
    expect(err.message).toMatch(new RegExp(`${rocket.length} bytes, over the limit of 1000`));
  });

  test('over the pixel limit (JPEG, read from its frame header)', async () => {
    const err = await failure(rocket, { maxPixels: 640 * 427 - 1 });
    expect(err.kind).toBe('too-large');
    expect(err.message).toMatch(/640×427/);
    await expect(convertImageToPdf(rocket, { maxPixels: 640 * 427 })).resolves.toBeInstanceOf(Uint8Array);
  });

  test('over the pixel limit (PNG)', async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#123456' } }).png().toBuffer();
    expect((await failure(png, { maxPixels: 10_000 })).kind).toBe('too-large');
  });

  test('invalid options are rejected with what to change', async () => {
    await expect(convertImageToPdf(rocket, { maxBytes: -1 })).rejects.toThrow(/maxBytes must be a positive integer/);
    await expect(convertImageToPdf(rocket, { defaultDpi: 0 })).rejects.toThrow(/defaultDpi must be between 1 and 100000/);
  });
});
