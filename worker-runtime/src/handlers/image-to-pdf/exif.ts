/**
 * Reads the two things the PDF needs from EXIF IFD0: the orientation and the resolution.
 * Malformed EXIF is ignored (viewers ignore it too): it never fails a conversion.
 */
import { ByteRange } from './jpeg-markers';

export interface ExifFacts {
  /** 1–8, or undefined when absent or invalid. */
  readonly orientation?: number;
  /** Resolution in dots per inch, when recorded in inches or centimetres. */
  readonly dpi?: { readonly x: number; readonly y: number };
}

const TAG_ORIENTATION = 0x0112;
const TAG_X_RESOLUTION = 0x011a;
const TAG_Y_RESOLUTION = 0x011b;
const TAG_RESOLUTION_UNIT = 0x0128;
const TYPE_SHORT = 3;
const TYPE_RATIONAL = 5;

export function readExif(bytes: Uint8Array, range: ByteRange): ExifFacts {
  const { start, end } = range;
  if (end - start < 8) return {};
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const size = end - start;
  let little: boolean;
  if (view.getUint16(0) === 0x4949) little = true;
  else if (view.getUint16(0) === 0x4d4d) little = false;
  else return {};
  if (view.getUint16(2, little) !== 42) return {};
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > size) return {};
  const count = view.getUint16(ifd, little);

  let orientation: number | undefined;
  let xRes: number | undefined;
  let yRes: number | undefined;
  let unit = 2; // EXIF's default ResolutionUnit is inches
  const rational = (entry: number): number | undefined => {
    const offset = view.getUint32(entry + 8, little);
    if (offset + 8 > size) return undefined;
    const num = view.getUint32(offset, little);
    const den = view.getUint32(offset + 4, little);
    return den === 0 ? undefined : num / den;
  };
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > size) break;
    const tag = view.getUint16(entry, little);
    const type = view.getUint16(entry + 2, little);
    if (tag === TAG_ORIENTATION && type === TYPE_SHORT) {
      const value = view.getUint16(entry + 8, little);
      if (value >= 1 && value <= 8) orientation = value;
    } else if (tag === TAG_X_RESOLUTION && type === TYPE_RATIONAL) {
      xRes = rational(entry);
    } else if (tag === TAG_Y_RESOLUTION && type === TYPE_RATIONAL) {
      yRes = rational(entry);
    } else if (tag === TAG_RESOLUTION_UNIT && type === TYPE_SHORT) {
      unit = view.getUint16(entry + 8, little);
    }
  }
  let dpi: ExifFacts['dpi'];
  if (xRes && yRes && xRes > 0 && yRes > 0 && (unit === 2 || unit === 3)) {
    const factor = unit === 3 ? 2.54 : 1;
    dpi = { x: xRes * factor, y: yRes * factor };
  }
  return { orientation, dpi };
}
