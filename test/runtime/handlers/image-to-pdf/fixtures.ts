/** Fixture access and generated test images for the image → PDF handler tests. */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';

export const FIXTURES = path.join(__dirname, '..', '..', '..', 'fixtures', 'images');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

/** Colours of the four quadrants of the asymmetric test image (top-left, top-right, bottom-left, bottom-right). */
export const QUADRANTS = {
  topLeft: [220, 30, 30],
  topRight: [30, 200, 40],
  bottomLeft: [30, 40, 220],
  bottomRight: [240, 230, 40],
} as const;

/** A 96×64 image with four differently coloured quadrants: every rotation/mirror gives a distinct picture. */
export async function quadrantImage(width = 96, height = 64): Promise<sharp.Sharp> {
  const w = width / 2;
  const h = height / 2;
  const tile = (rgb: readonly number[]) => sharp({
    create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  }).png().toBuffer();
  const composed = await sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .composite([
      { input: await tile(QUADRANTS.topLeft), left: 0, top: 0 },
      { input: await tile(QUADRANTS.topRight), left: w, top: 0 },
      { input: await tile(QUADRANTS.bottomLeft), left: 0, top: h },
      { input: await tile(QUADRANTS.bottomRight), left: w, top: h },
    ])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(composed.data, { raw: { width, height, channels: composed.info.channels } });
}

/** Removes every segment with the given marker (e.g. 0xEE = Adobe APP14) from a JPEG's headers. */
export function withoutSegment(jpeg: Buffer, marker: number): Buffer {
  const parts: Buffer[] = [jpeg.subarray(0, 2)];
  let pos = 2;
  while (pos < jpeg.length) {
    const m = jpeg[pos + 1];
    if (m === 0xda) break;
    const length = jpeg.readUInt16BE(pos + 2);
    if (m !== marker) parts.push(jpeg.subarray(pos, pos + 2 + length));
    pos += 2 + length;
  }
  parts.push(jpeg.subarray(pos));
  return Buffer.concat(parts);
}

/** Offset of the first SOS marker (start of the compressed data). */
export function startOfScan(jpeg: Buffer): number {
  let pos = 2;
  while (jpeg[pos + 1] !== 0xda) pos += 2 + jpeg.readUInt16BE(pos + 2);
  return pos;
}
