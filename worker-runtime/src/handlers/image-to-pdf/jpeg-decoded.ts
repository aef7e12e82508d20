/**
 * JPEGs a PDF's `DCTDecode` cannot carry (arithmetic-coded, lossless, more than 8 bits) are decoded
 * with sharp's libjpeg and embedded as exactly the decoded samples (Flate), like a PNG. Only what
 * the decoder rejects fails, with a reason naming the file's coding process.
 */
import type sharp from 'sharp';
import { fail } from './failures';
import { CodingProcess } from './jpeg-coding';
import { JpegStructure } from './jpeg-markers';
import { loadSharp } from './load-sharp';
import { PdfImage } from './pdf-writer';
import { toPdfImage } from './sharp-image';

export interface DecodeOptions {
  readonly maxPixels: number;
  /** Fail on decoder warnings too (as `validateDecode` does for embedded JPEGs). */
  readonly strict: boolean;
}

/** sharp's libjpeg (mozjpeg, of the libjpeg-turbo 2 line) decodes 8-bit DCT JPEGs, Huffman or arithmetic. */
function decoderSupports(jpeg: JpegStructure, process: CodingProcess): boolean {
  return jpeg.bitsPerComponent === 8 && !process.lossless && !process.hierarchical;
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
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    const what = `${jpeg.bitsPerComponent}-bit ${process.name} JPEG`;
    if (decoderSupports(jpeg, process)) fail('corrupt', `${what} cannot be decoded: ${reason}`, err);
    fail('unsupported-format', `${what} cannot be embedded in a PDF as it is (DCTDecode takes 8-bit Huffman-coded DCT only) `
      + `and the decoder cannot decode it: ${reason}`, err);
  }
  return toPdfImage(decoded.data, decoded.info, 8, false, iccProfile);
}
