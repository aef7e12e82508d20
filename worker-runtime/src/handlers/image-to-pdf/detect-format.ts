/**
 * Format detection from content (magic numbers), never from the file name: a PNG renamed
 * `.jpg` is still a PNG.
 */

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif';

export type Detection =
  | { readonly format: ImageFormat }
  | { readonly format?: undefined; readonly unsupported?: string };

function ascii(bytes: Uint8Array, start: number, length: number): string {
  if (bytes.length < start + length) return '';
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

export function detectFormat(bytes: Uint8Array): Detection {
  const b = bytes;
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xd8) return { format: 'jpeg' };
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a) return { format: 'png' };
  const head6 = ascii(b, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return { format: 'gif' };
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return { format: 'webp' };
  const head4 = ascii(b, 0, 4);
  if (head4 === 'II*\0' || head4 === 'MM\0*') return { format: 'tiff' };
  if (ascii(b, 4, 4) === 'ftyp') {
    // ISO BMFF: the major brand and the compatible brands say what is inside.
    const boxSize = ((b[0] * 256 + b[1]) * 256 + b[2]) * 256 + b[3];
    const end = Math.min(b.length, Math.max(16, Math.min(boxSize, 256)));
    const brands: string[] = [ascii(b, 8, 4)];
    for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(b, i, 4));
    if (brands.includes('avif') || brands.includes('avis')) return { format: 'avif' };
    if (brands.some((x) => ['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].includes(x))) {
      return { unsupported: 'HEIF/HEIC' };
    }
    return {};
  }
  if (ascii(b, 0, 2) === 'BM') return { unsupported: 'BMP' };
  if (head4 === '%PDF') return { unsupported: 'PDF' };
  if (b.length >= 12 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && ascii(b, 4, 4) === 'jP  ') {
    return { unsupported: 'JPEG 2000' };
  }
  return {};
}

/** The first bytes as hex, for error messages about unknown content. */
export function describeStart(bytes: Uint8Array): string {
  const n = Math.min(8, bytes.length);
  return Array.from(bytes.subarray(0, n), (x) => x.toString(16).padStart(2, '0')).join(' ');
}
