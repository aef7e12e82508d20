/**
 * The handler's own PDF writer: a well-formed file (every cross-reference offset lands on its
 * object, stream lengths are exact, poppler reads it without a complaint), the JPEG passed by
 * reference (the input buffer itself is one of the parts), and the same bytes for the same input.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { fixture } from './fixtures';
import { convertImageToPdf, convertImageToPdfParts } from '../../../../worker-runtime/src/handlers/image-to-pdf';
import { describeWithPeers, peerPath } from '../../../support/peers';

const W = 37;
const H = 23;
const rgba = () => sharp(Buffer.from(Array.from({ length: W * H * 4 }, (_, i) => (i * 31) % 256)), { raw: { width: W, height: H, channels: 4 } });

async function samples(): Promise<[string, Buffer][]> {
  const frame = (k: number) => sharp({ create: { width: W, height: H, channels: 3, background: { r: 40 * k, g: 10, b: 200 } } });
  const frames = await Promise.all([1, 2, 3].map((k) => frame(k).png().toBuffer()));
  return [
    ['baseline JPEG with ICC', fixture('skimage_rocket.jpg')],
    ['Adobe CMYK JPEG', fixture('var_cmyk_adobe_rocket.jpg')],
    ['arithmetic-coded JPEG (decoded)', fixture('arith_rocket.jpg')],
    ['PNG with alpha (soft mask)', await rgba().png().toBuffer()],
    ['PNG with an ICC profile', await rgba().withIccProfile('p3').png().toBuffer()],
    ['three-page TIFF', await sharp(frames, { join: { animated: true } }).tiff().toBuffer()],
  ];
}

/** Checks the xref table and every stream's /Length against the bytes; returns the object count. */
function checkStructure(pdf: Buffer): number {
  const text = pdf.toString('latin1');
  expect(text.startsWith('%PDF-1.7\n')).toBe(true);
  expect(text.endsWith('%%EOF\n')).toBe(true);
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
  expect(text.slice(startxref, startxref + 5)).toBe('xref\n');
  const [, first, count] = /^xref\n(\d+) (\d+)\n/.exec(text.slice(startxref))!.map(Number);
  expect(first).toBe(0);
  const entries = text.slice(startxref).split('\n').slice(2, 2 + count);
  expect(entries[0]).toBe('0000000000 65535 f ');
  entries.slice(1).forEach((entry, i) => {
    expect(entry).toMatch(/^\d{10} 00000 n $/);
    const at = Number(entry.slice(0, 10));
    expect(text.slice(at, at + `${i + 1} 0 obj\n`.length)).toBe(`${i + 1} 0 obj\n`);
  });
  for (const m of text.matchAll(/\/Length (\d+)>>\nstream\n/g)) {
    const start = m.index! + m[0].length;
    expect(text.slice(start + Number(m[1]), start + Number(m[1]) + 10)).toBe('\nendstream');
  }
  expect(new RegExp(`trailer\\n<</Size ${count}/Root 1 0 R>>`).test(text)).toBe(true);
  return count - 1;
}

describe('the PDF writer', () => {
  test('cross-reference offsets and stream lengths are exact, for every kind of page', async () => {
    for (const [, input] of await samples()) {
      expect(checkStructure(Buffer.from(await convertImageToPdf(input)))).toBeGreaterThanOrEqual(5);
    }
  });

  test('a JPEG is passed by reference: the input buffer itself is one of the parts', async () => {
    const jpeg = fixture('skimage_rocket.jpg');
    const { parts, length } = await convertImageToPdfParts(jpeg);
    expect(parts).toContain(jpeg);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(length);
  });

  test('deterministic: the same input gives the same bytes', async () => {
    for (const [, input] of await samples()) {
      expect(Buffer.compare(Buffer.from(await convertImageToPdf(input)), Buffer.from(await convertImageToPdf(input)))).toBe(0);
    }
  });
});

describeWithPeers(['PDFIMAGES_BIN'], 'poppler reads the writer\'s PDFs without a complaint', () => {
  test.each([0, 1, 2, 3, 4, 5])('sample %i: pdfimages -list lists its images, nothing on stderr', async (i) => {
    const [name, input] = (await samples())[i];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdf-writer-'));
    try {
      const file = path.join(dir, 'out.pdf');
      fs.writeFileSync(file, await convertImageToPdf(input));
      const r = spawnSync(peerPath('PDFIMAGES_BIN')!, ['-list', file], { encoding: 'utf8' });
      expect({ name, status: r.status, stderr: r.stderr }).toEqual({ name, status: 0, stderr: '' });
      const rows = r.stdout.trim().split('\n').slice(2);
      expect(rows.length).toBeGreaterThanOrEqual(name.startsWith('three-page') ? 3 : 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
