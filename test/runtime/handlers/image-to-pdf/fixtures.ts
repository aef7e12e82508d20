/** Fixture access and generated test images for the image → PDF handler tests. */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
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

/** A PNG's chunks (type and byte range, CRC included), in file order. */
function pngChunks(png: Buffer): { type: string; start: number; end: number }[] {
  const chunks = [];
  for (let at = 8; at < png.length;) {
    const end = at + 12 + png.readUInt32BE(at);
    chunks.push({ type: png.toString('latin1', at + 4, at + 8), start: at, end });
    at = end;
  }
  return chunks;
}

/** The PNG without its chunks of `type` (e.g. `pHYs`: sharp always writes one). */
export function withoutPngChunk(png: Buffer, type: string): Buffer {
  return Buffer.concat([png.subarray(0, 8), ...pngChunks(png).filter((c) => c.type !== type).map((c) => png.subarray(c.start, c.end))]);
}

/** The PNG with its `pHYs` replaced by one giving `x`, `y` per `unit` (1 = metre, 0 = aspect ratio only). */
export function withPhys(png: Buffer, x: number, y: number, unit: 0 | 1): Buffer {
  const data = Buffer.alloc(9);
  data.writeUInt32BE(x, 0);
  data.writeUInt32BE(y, 4);
  data[8] = unit;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(9, 0);
  head.write('pHYs', 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  const bare = withoutPngChunk(png, 'pHYs');
  const ihdrEnd = 8 + 25; // signature + IHDR (13 bytes of data + length, type, CRC)
  return Buffer.concat([bare.subarray(0, ihdrEnd), head, data, crc, bare.subarray(ihdrEnd)]);
}

/**
 * A minimal uncompressed RGB TIFF (little-endian, one strip) with no resolution tags at all:
 * sharp always writes them (1 pixel/mm when none is set).
 */
export function tiffWithoutResolution(rgb: Buffer, width: number, height: number): Buffer {
  const entries: [tag: number, type: number, count: number, value: number][] = [];
  const ifdAt = 8;
  const count = 9;
  const bitsAt = ifdAt + 2 + count * 12 + 4;
  const dataAt = bitsAt + 6;
  entries.push(
    [0x0100, 3, 1, width], [0x0101, 3, 1, height], [0x0102, 3, 3, bitsAt], [0x0103, 3, 1, 1], [0x0106, 3, 1, 2],
    [0x0111, 4, 1, dataAt], [0x0115, 3, 1, 3], [0x0116, 3, 1, height], [0x0117, 4, 1, rgb.length],
  );
  const head = Buffer.alloc(dataAt);
  head.write('II*\0', 0, 'latin1');
  head.writeUInt32LE(ifdAt, 4);
  head.writeUInt16LE(count, ifdAt);
  entries.forEach(([tag, type, n, value], i) => {
    const at = ifdAt + 2 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(n, at + 4);
    if (type === 3 && n === 1) head.writeUInt16LE(value, at + 8);
    else head.writeUInt32LE(value, at + 8);
  });
  head.writeUInt32LE(0, ifdAt + 2 + count * 12); // no next IFD
  [8, 8, 8].forEach((b, i) => head.writeUInt16LE(b, bitsAt + i * 2));
  return Buffer.concat([head, rgb]);
}
