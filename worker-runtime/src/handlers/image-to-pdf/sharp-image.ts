/**
 * PNG, GIF, WebP, TIFF and AVIF: decoded with sharp and embedded losslessly as Flate-compressed
 * pixels (8 or 16 bits per channel as in the source; alpha as a soft mask; embedded ICC profile
 * kept). Every page of a multi-page file (TIFF pages, GIF/WebP frames) becomes a PDF page.
 */
import { promisify } from 'util';
import * as zlib from 'zlib';
import type sharp from 'sharp';
import { ImageFormat } from './detect-format';
import { fail } from './failures';
import { matchingProfile } from './icc';
import { loadSharp } from './load-sharp';
import { Dpi, pageGeometry, usableDpi } from './page-geometry';
import { PdfImage, PdfPage } from './pdf-writer';
import { pngDensity, tiffDensity } from './recorded-density';

const deflate = promisify(zlib.deflate);

export interface SharpPageOptions {
  readonly maxPixels: number;
  readonly defaultDpi: number;
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

export async function sharpPages(bytes: Uint8Array, format: ImageFormat, options: SharpPageOptions): Promise<PdfPage[]> {
  const label = format.toUpperCase();
  let meta: sharp.Metadata;
  try {
    meta = await loadSharp()(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    fail('corrupt', `${label} image cannot be read: ${reason(err)}`, err);
  }
  const pageCount = meta.pages ?? 1;
  const pageHeight = meta.pageHeight ?? meta.height ?? 0;
  const width = meta.width ?? 0;
  if (width * pageHeight > options.maxPixels) {
    fail('too-large', `image is ${width}×${pageHeight} = ${width * pageHeight} pixels, over the limit of ${options.maxPixels}`);
  }
  const dpi = recordedDpi(bytes, format, meta) ?? { x: options.defaultDpi, y: options.defaultDpi };
  const sixteen = meta.depth === 'ushort';
  const icc = meta.icc ? new Uint8Array(meta.icc) : undefined;

  const pages: PdfPage[] = [];
  for (let page = 0; page < pageCount; page++) {
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      // ignoreIcc keeps the pixel values in the source's colour space; its profile is attached instead.
      const pipeline = loadSharp()(bytes, { page, limitInputPixels: options.maxPixels, ignoreIcc: true, failOn: 'error' });
      // Pin the output colour space to the source's family, or sharp would widen grey to RGB,
      // turn CMYK into RGB and narrow 16-bit samples to 8 bits.
      pipeline.toColourspace(outputSpace(meta, sixteen));
      decoded = await pipeline.raw(sixteen ? { depth: 'ushort' } : undefined).toBuffer({ resolveWithObject: true });
    } catch (err) {
      const msg = reason(err);
      if (/pixel limit/i.test(msg)) fail('too-large', `${label} page ${page + 1} is over the limit of ${options.maxPixels} pixels`, err);
      fail('corrupt', `${label} image cannot be decoded (page ${page + 1}): ${msg}`, err);
    }
    const image = await toPdfImage(decoded.data, decoded.info, sixteen ? 16 : 8, meta.hasAlpha === true, icc);
    pages.push({ image, geometry: pageGeometry(decoded.info.width, decoded.info.height, dpi, meta.orientation ?? 1) });
  }
  return pages;
}

/**
 * The density the file records, or undefined. PNG and TIFF are read directly (sharp reports 72 dpi
 * for a PNG without `pHYs`); for WebP, GIF and AVIF sharp reports a density only when one is
 * recorded (EXIF), and a BigTIFF falls back to it too.
 */
function recordedDpi(bytes: Uint8Array, format: ImageFormat, meta: sharp.Metadata): Dpi | undefined {
  if (format === 'png') return pngDensity(bytes);
  const fromSharp = usableDpi(meta.density ? { x: meta.density, y: meta.density } : undefined);
  if (format === 'tiff') return tiffDensity(bytes) ?? fromSharp;
  return fromSharp;
}

function outputSpace(meta: sharp.Metadata, sixteen: boolean): string {
  if (meta.space === 'cmyk') return 'cmyk';
  const grey = meta.space === 'b-w' || meta.space === 'grey16' || meta.channels === 1 || meta.channels === 2;
  if (grey) return sixteen ? 'grey16' : 'b-w';
  return sixteen ? 'rgb16' : 'srgb';
}

/** Raw decoded samples (sharp's layout) as a lossless Flate image, alpha split off into a soft mask. */
export async function toPdfImage(data: Buffer, info: sharp.OutputInfo, bits: 8 | 16, sourceHasAlpha: boolean,
  icc: Uint8Array | undefined): Promise<PdfImage> {
  const channels: number = info.channels;
  // 2 = grey+alpha, 4 = RGBA or CMYK (the source says which), 5 = CMYK+alpha.
  const hasAlpha = channels === 2 || channels === 5 || (channels === 4 && sourceHasAlpha);
  const colourChannels = hasAlpha ? channels - 1 : channels;
  if (colourChannels !== 1 && colourChannels !== 3 && colourChannels !== 4) {
    fail('unsupported-format', `images with ${channels} channels are not supported`);
  }
  const colour: 1 | 3 | 4 = colourChannels;
  if (bits === 16) data.swap16(); // sharp gives native (little-endian) samples; PDF wants big-endian
  let pixels: Uint8Array = data;
  let alpha: Uint8Array | undefined;
  if (hasAlpha) [pixels, alpha] = splitAlpha(data, channels, bits / 8);
  const [compressed, compressedAlpha] = await Promise.all([deflate(pixels), alpha ? deflate(alpha) : undefined]);
  const base = { filter: 'FlateDecode' as const, width: info.width, height: info.height, bitsPerComponent: bits };
  return {
    ...base,
    data: compressed,
    components: colour,
    iccProfile: matchingProfile(icc, colour),
    softMask: compressedAlpha ? { ...base, data: compressedAlpha, components: 1 } : undefined,
  };
}

/** Separates interleaved colour+alpha samples into a colour plane and an alpha plane. */
function splitAlpha(data: Uint8Array, channels: number, bytesPerSample: number): [Uint8Array, Uint8Array] {
  const pixelBytes = channels * bytesPerSample;
  const colourBytes = (channels - 1) * bytesPerSample;
  const count = data.length / pixelBytes;
  const colour = new Uint8Array(count * colourBytes);
  const alpha = new Uint8Array(count * bytesPerSample);
  for (let p = 0, src = 0, dst = 0, a = 0; p < count; p++) {
    for (let i = 0; i < colourBytes; i++) colour[dst++] = data[src++];
    for (let i = 0; i < bytesPerSample; i++) alpha[a++] = data[src++];
  }
  return [colour, alpha];
}
