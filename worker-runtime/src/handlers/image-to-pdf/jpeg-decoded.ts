/**
 * JPEGs a PDF's `DCTDecode` cannot carry (arithmetic-coded, lossless, more than 8 bits) are decoded
 * with sharp's libjpeg, or for lossless JPEGs of other precisions with our own decoder, and
 * embedded as exactly the decoded samples (Flate), like a PNG. Only what neither decodes fails,
 * with a reason naming the file's coding process.
 */
import * as zlib from 'zlib';
import type sharp from 'sharp';
import { fail, ImageInputError } from './failures';
import { matchingProfile } from './icc';
import { CodingProcess } from './jpeg-coding';
import { JpegStructure } from './jpeg-markers';
import { loadSharp } from './load-sharp';
import { decodeLosslessJpeg, LosslessImage } from './lossless-jpeg';
import { PdfImage } from './pdf-writer';
import { toPdfImage } from './sharp-image';

export interface DecodeOptions {
  readonly maxPixels: number;
  /** Fail on decoder warnings too (as `validateDecode` does for embedded JPEGs). */
  readonly strict: boolean;
}

/** sharp's libjpeg decodes 8-bit JPEGs: DCT (Huffman or arithmetic) and Huffman lossless. */
function decoderSupports(jpeg: JpegStructure, process: CodingProcess): boolean {
  return jpeg.bitsPerComponent === 8 && !process.hierarchical && !(process.lossless && process.arithmetic);
}

/** Huffman lossless JPEG of another precision: our own decoder (exact by construction). */
function losslessImage(bytes: Uint8Array, jpeg: JpegStructure, iccProfile: Uint8Array | undefined, strict: boolean): PdfImage {
  const rgb = jpeg.components === 3 && (jpeg.adobeTransform === 0 || jpeg.componentIds.join() === '82,71,66');
  if (jpeg.components !== 1 && !rgb) {
    fail('unsupported-format', `${jpeg.bitsPerComponent}-bit lossless JPEG with ${jpeg.components} components cannot be decoded (grey or RGB only)`);
  }
  let decoded: LosslessImage;
  try {
    decoded = decodeLosslessJpeg(bytes, strict);
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    fail('corrupt', `${jpeg.bitsPerComponent}-bit lossless JPEG cannot be decoded: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  // PDF takes 8 or 16 bits per sample: the samples go in unchanged and a /Decode array maps their
  // own range (0 to 2^P - 1) onto the colour space's, so nothing is rescaled or rounded.
  const bits = decoded.precision <= 8 ? 8 : 16;
  const data = Buffer.alloc(decoded.samples.length * (bits / 8));
  for (let i = 0; i < decoded.samples.length; i++) {
    if (bits === 16) data.writeUInt16BE(decoded.samples[i], i * 2);
    else data[i] = decoded.samples[i];
  }
  const top = (2 ** bits - 1) / (2 ** decoded.precision - 1);
  return {
    data: zlib.deflateSync(data),
    filter: 'FlateDecode',
    width: decoded.width,
    height: decoded.height,
    bitsPerComponent: bits,
    components: jpeg.components as 1 | 3,
    iccProfile: matchingProfile(iccProfile, jpeg.components),
    decode: top === 1 ? undefined : Array.from({ length: jpeg.components }, () => [0, Number(top.toFixed(6))]).flat(),
  };
}

export async function decodedJpegImage(bytes: Uint8Array, jpeg: JpegStructure, process: CodingProcess,
  iccProfile: Uint8Array | undefined, options: DecodeOptions): Promise<PdfImage> {
  // libjpeg converts YCbCr to RGB and undoes Adobe's CMYK inversion, so the samples are plain
  // DeviceRGB/DeviceCMYK/DeviceGray values (no /Decode array); ignoreIcc keeps them untransformed.
  const space = jpeg.components === 4 ? 'cmyk' : jpeg.components === 1 ? 'b-w' : 'srgb';
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await loadSharp()(bytes, { limitInputPixels: options.maxPixels, ignoreIcc: true, failOn: options.strict ? 'warning' : 'error' })
      .toColourspace(space)
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (process.lossless && !process.arithmetic && !process.hierarchical) {
      return losslessImage(bytes, jpeg, iccProfile, options.strict);
    }
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const what = `${jpeg.bitsPerComponent}-bit ${process.name} JPEG`;
    if (decoderSupports(jpeg, process)) fail('corrupt', `${what} cannot be decoded: ${reason}`, err);
    fail('unsupported-format', `${what} cannot be embedded in a PDF as it is (DCTDecode takes 8-bit Huffman-coded DCT only) `
      + `and the decoder cannot decode it: ${reason}`, err);
  }
  return toPdfImage(decoded.data, decoded.info, 8, false, iccProfile);
}
