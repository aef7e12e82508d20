/**
 * The density a PNG or TIFF file itself records, read from the file rather than from sharp: for a
 * PNG without `pHYs` sharp reports 72 dpi (libvips' default) as if the file said so, and it hides a
 * recorded 1 pixel/mm (libvips' "unset" value). Undefined means "nothing recorded": the caller uses
 * the configured default.
 */
import { readExif } from './exif';
import { Dpi, usableDpi } from './page-geometry';

const INCHES_PER_METRE = 39.3700787;

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] * 256 + bytes[at + 1]) * 256 + bytes[at + 2]) * 256 + bytes[at + 3];
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/**
 * PNG: `pHYs` in pixels per metre (unit 1; unit 0 is an aspect ratio only), else the resolution
 * of an `eXIf` chunk. Both must come before the image data (PNG 1.2 §4.1.2, PNG extensions 3.7),
 * so the walk stops at the first `IDAT`.
 */
export function pngDensity(bytes: Uint8Array): Dpi | undefined {
  let exifDpi: Dpi | undefined;
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = u32(bytes, at);
    const type = chunkType(bytes, at + 4);
    const data = at + 8;
    if (type === 'IDAT' || data + length > bytes.length) break;
    if (type === 'pHYs' && length === 9) {
      if (bytes[data + 8] !== 1) return undefined;
      return usableDpi({ x: u32(bytes, data) / INCHES_PER_METRE, y: u32(bytes, data + 4) / INCHES_PER_METRE });
    }
    if (type === 'eXIf' && !exifDpi) exifDpi = usableDpi(readExif(bytes, { start: data, end: data + length }).dpi);
    at = data + length + 4; // + CRC
  }
  return exifDpi;
}

/** TIFF: XResolution/YResolution of the first IFD, in inches or centimetres (unit 1, "none", is no density). */
export function tiffDensity(bytes: Uint8Array): Dpi | undefined {
  return usableDpi(readExif(bytes, { start: 0, end: bytes.length }).dpi);
}
