/**
 * JPEG fidelity: the bytes go into the PDF unchanged, with the right colour space, ICC profile,
 * Decode array and page size. Checked by reading the PDF back with pdf-lib, against facts read
 * independently with sharp, and with poppler's `pdfimages -j`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { fixture, withoutSegment } from './fixtures';
import { inspectPdf } from './pdf-inspect';
import { convertImageToPdf, convertImageToPdfParts } from '../../../../worker-runtime/src/handlers/image-to-pdf';
import { describeWithPeers, peerPath } from '../../../support/peers';

const JPEGS = [
  'skimage_rocket.jpg', // baseline, ICC, JFIF 72 dpi
  'plasma_Autumn_screenshot.jpg', // progressive, ICC, 299 dpi
  'imdoc_images_wizard.jpg', // progressive, dots per cm
  'plasma_Kite_screenshot.jpg', // JFIF aspect ratio only (no real density)
  'var_cmyk_adobe_rocket.jpg', // Adobe CMYK
  'var_gray_rocket.jpg', // grayscale
  'var_exif6_rocket.jpg', // EXIF orientation 6
  'var_dpi300_rocket.jpg', // 300 dpi
];

describe('JPEG embedding', () => {
  test.each(JPEGS)('%s: the DCTDecode stream is the input, byte for byte', async (name) => {
    const input = fixture(name);
    const [page, ...rest] = await inspectPdf(await convertImageToPdf(input));
    expect(rest).toHaveLength(0);
    expect(page.image.filter).toBe('/DCTDecode');
    expect(Buffer.compare(Buffer.from(page.image.data), input)).toBe(0);
    const meta = await sharp(input).metadata();
    expect(page.image.width).toBe(meta.width);
    expect(page.image.height).toBe(meta.height);
    expect(page.image.bitsPerComponent).toBe(8);
  });

  test('a Buffer that is a slice of a larger buffer is embedded correctly', async () => {
    const input = fixture('skimage_rocket.jpg');
    const big = Buffer.concat([Buffer.alloc(1000, 0x55), input, Buffer.alloc(1000, 0xaa)]);
    const slice = big.subarray(1000, 1000 + input.length);
    const [page] = await inspectPdf(await convertImageToPdf(slice));
    expect(Buffer.compare(Buffer.from(page.image.data), input)).toBe(0);
  });

  test('as parts, the JPEG is the input buffer itself (no copy) and the parts join to the same PDF', async () => {
    const input = fixture('skimage_rocket.jpg');
    const { parts, length } = await convertImageToPdfParts(input);
    expect(parts).toContain(input);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(length);
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(await convertImageToPdf(input)))).toBe(0);
  });

  test('every cross-reference entry points at its object (no reliance on reader repair)', async () => {
    for (const name of ['skimage_rocket.jpg', 'var_cmyk_adobe_rocket.jpg', 'imdoc_images_wizard.jpg']) {
      const pdf = Buffer.from(await convertImageToPdf(fixture(name)));
      const startxref = Number(/startxref\n(\d+)\n%%EOF\s*$/.exec(pdf.toString('latin1'))![1]);
      const table = pdf.subarray(startxref).toString('latin1');
      const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(table)!.map(Number);
      const entries = [...table.matchAll(/(\d{10}) (\d{5}) ([nf])/g)].slice(0, count);
      expect(entries).toHaveLength(count);
      entries.forEach(([, off, gen, type], i) => {
        if (type === 'f') return;
        const at = pdf.subarray(Number(off), Number(off) + 20).toString('latin1');
        expect(at.startsWith(`${first + i} ${Number(gen)} obj\n`)).toBe(true);
      });
    }
  });

  test('the same input always gives the same PDF bytes (redelivery overwrites identically)', async () => {
    const input = fixture('var_exif6_rocket.jpg');
    const a = await convertImageToPdf(input);
    const b = await convertImageToPdf(input);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });
});

describe('colour', () => {
  test('an embedded ICC profile becomes an ICCBased colour space with the same bytes and N', async () => {
    for (const name of ['skimage_rocket.jpg', 'plasma_Autumn_screenshot.jpg']) {
      const input = fixture(name);
      const profile = (await sharp(input).metadata()).icc!;
      expect(profile.length).toBeGreaterThan(0);
      const [page] = await inspectPdf(await convertImageToPdf(input));
      expect(page.image.colourSpace).toBe('/ICCBased');
      expect(page.image.iccN).toBe(3);
      expect(Buffer.compare(Buffer.from(page.image.iccProfile!), profile)).toBe(0);
    }
  });

  test('a profile split over several APP2 chunks is reassembled in sequence order', async () => {
    const input = fixture('skimage_rocket.jpg');
    const profile = (await sharp(input).metadata()).icc!;
    const stripped = withoutSegment(input, 0xe2);
    const chunk = (seq: number, data: Buffer) => {
      const body = Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([seq, 2]), data]);
      const header = Buffer.from([0xff, 0xe2, 0, 0]);
      header.writeUInt16BE(body.length + 2, 2);
      return Buffer.concat([header, body]);
    };
    const half = Math.floor(profile.length / 2);
    // Chunks written out of order on purpose: the sequence numbers decide.
    const twoChunks = Buffer.concat([
      stripped.subarray(0, 2), chunk(2, profile.subarray(half)), chunk(1, profile.subarray(0, half)), stripped.subarray(2),
    ]);
    const [page] = await inspectPdf(await convertImageToPdf(twoChunks));
    expect(Buffer.compare(Buffer.from(page.image.iccProfile!), profile)).toBe(0);
    expect(Buffer.compare(Buffer.from(page.image.data), twoChunks)).toBe(0);
  });

  test('grayscale is DeviceGray; an RGB profile that does not fit a grey image is not attached', async () => {
    const input = fixture('var_gray_rocket.jpg');
    const meta = await sharp(input).metadata();
    expect(meta.channels).toBe(1);
    const [page] = await inspectPdf(await convertImageToPdf(input));
    expect(page.image.colourSpace).toBe('/DeviceGray');
    expect(page.image.iccProfile).toBeUndefined();
  });

  test('Adobe CMYK is inverted with a Decode array; CMYK without the Adobe marker is not', async () => {
    const adobe = fixture('var_cmyk_adobe_rocket.jpg');
    expect((await sharp(adobe).metadata()).space).toBe('cmyk');
    const [marked] = await inspectPdf(await convertImageToPdf(adobe));
    expect(marked.image.colourSpace).toBe('/DeviceCMYK');
    expect(marked.image.decode).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);

    const plain = withoutSegment(adobe, 0xee);
    expect(plain.length).toBeLessThan(adobe.length);
    const [unmarked] = await inspectPdf(await convertImageToPdf(plain));
    expect(unmarked.image.colourSpace).toBe('/DeviceCMYK');
    expect(unmarked.image.decode).toBeUndefined();
    expect(Buffer.compare(Buffer.from(unmarked.image.data), plain)).toBe(0);
  });
});

describe('page size from resolution', () => {
  test.each([
    // JFIF dots per inch
    ['skimage_rocket.jpg', {}, 640, 427],
    ['var_dpi300_rocket.jpg', {}, (640 * 72) / 300, (427 * 72) / 300],
    // JFIF dots per centimetre (118 /cm = 299.72 dpi)
    ['imdoc_images_wizard.jpg', {}, (265 * 72) / (118 * 2.54), (352 * 72) / (118 * 2.54)],
    // JFIF units 0 (aspect ratio only): the default, 96 dpi, or the configured one
    ['plasma_Kite_screenshot.jpg', {}, 300, 187.5],
    ['plasma_Kite_screenshot.jpg', { defaultDpi: 72 }, 400, 250],
  ])('%s %p → %f × %f pt', async (name, options, width, height) => {
    const [page] = await inspectPdf(await convertImageToPdf(fixture(name), options));
    expect(page.width).toBeCloseTo(width, 2);
    expect(page.height).toBeCloseTo(height, 2);
  });

  test('EXIF resolution is used when there is no JFIF density', async () => {
    const jpeg = await sharp({ create: { width: 300, height: 150, channels: 3, background: '#336699' } })
      .jpeg().withMetadata({ density: 150 }).toBuffer();
    expect(jpeg.includes(Buffer.from('JFIF'))).toBe(false);
    const [page] = await inspectPdf(await convertImageToPdf(jpeg));
    expect(page.width).toBeCloseTo(144, 2);
    expect(page.height).toBeCloseTo(72, 2);
  });

  test('an absurdly low density is capped at the PDF page limit of 200 inches, keeping the aspect', async () => {
    const jpeg = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#336699' } })
      .jpeg().withMetadata({ density: 2 }).toBuffer();
    const [page] = await inspectPdf(await convertImageToPdf(jpeg));
    expect(page.width).toBeCloseTo(14400, 2);
    expect(page.height).toBeCloseTo(7200, 2);
  });
});

describeWithPeers(['PDFIMAGES_BIN'], 'pdfimages -j extracts the original JPEG', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'img2pdf-pdfimages-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(JPEGS)('%s', async (name) => {
    const input = fixture(name);
    const pdfPath = path.join(dir, `${name}.pdf`);
    fs.writeFileSync(pdfPath, await convertImageToPdf(input));
    const prefix = path.join(dir, name.replace(/\W/g, '_'));
    execFileSync(peerPath('PDFIMAGES_BIN')!, ['-j', pdfPath, prefix]);
    const extracted = fs.readFileSync(`${prefix}-000.jpg`);
    expect(Buffer.compare(extracted, input)).toBe(0);
  });
});

describeWithPeers(['PDFTOPPM_BIN'], 'colours as rendered by poppler (pdftoppm)', () => {
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'img2pdf-colour-')); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Mean absolute difference between poppler's rendering of the PDF and sharp's decode of the JPEG. */
  async function renderDifference(jpeg: Buffer, label: string): Promise<number> {
    const pdfPath = path.join(dir, `${label}.pdf`);
    fs.writeFileSync(pdfPath, await convertImageToPdf(jpeg));
    execFileSync(peerPath('PDFTOPPM_BIN')!, ['-scale-to', '200', '-png', '-singlefile', pdfPath, path.join(dir, label)]);
    const rendered = await sharp(path.join(dir, `${label}.png`)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const expected = await sharp(jpeg).toColourspace('srgb').resize(rendered.info.width, rendered.info.height, { fit: 'fill' })
      .removeAlpha().raw().toBuffer();
    let sum = 0;
    for (let i = 0; i < expected.length; i++) sum += Math.abs(rendered.data[i] - expected[i]);
    return sum / expected.length;
  }

  test.each(['var_cmyk_adobe_rocket.jpg', 'var_gray_rocket.jpg', 'skimage_rocket.jpg', 'plasma_Autumn_screenshot.jpg'])(
    '%s looks like the image itself', async (name) => {
      expect(await renderDifference(fixture(name), name.replace(/\W/g, '_'))).toBeLessThan(15);
    });
});
