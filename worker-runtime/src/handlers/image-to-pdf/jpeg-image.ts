/**
 * A JPEG as one PDF page: its bytes become a DCTDecode image as they are; the headers decide
 * the colour space, the Decode array, the page size and the orientation.
 */
import { readExif } from './exif';
import { fail } from './failures';
import { assembleIccProfile, matchingProfile } from './icc';
import { parseJpeg } from './jpeg-markers';
import { dpiFromJfif, pageGeometry, usableDpi } from './page-geometry';
import { PdfPage } from './pdf-writer';

export interface JpegPageOptions {
  readonly maxPixels: number;
  readonly defaultDpi: number;
}

/** SOF types a PDF DCTDecode filter reads: baseline, extended sequential and progressive Huffman. */
const SUPPORTED_FRAMES = new Set([0xc0, 0xc1, 0xc2]);

export function jpegPage(bytes: Uint8Array, options: JpegPageOptions): PdfPage {
  const jpeg = parseJpeg(bytes);
  if (!SUPPORTED_FRAMES.has(jpeg.frameType)) {
    fail('unsupported-format', `JPEG coding process 0x${jpeg.frameType.toString(16).toUpperCase()} (lossless, hierarchical or arithmetic-coded) cannot be embedded in a PDF`);
  }
  if (jpeg.bitsPerComponent !== 8) fail('unsupported-format', `${jpeg.bitsPerComponent}-bit JPEG cannot be embedded in a PDF (8-bit only)`);
  if (jpeg.components !== 1 && jpeg.components !== 3 && jpeg.components !== 4) {
    fail('unsupported-format', `JPEG with ${jpeg.components} colour components is not supported (1, 3 or 4)`);
  }
  if (jpeg.width === 0) fail('corrupt', `JPEG frame header gives a ${jpeg.width}×${jpeg.height} image`);
  if (jpeg.height === 0) fail('unsupported-format', 'JPEG whose height is given only after the image data (DNL marker) is not supported');
  const pixels = jpeg.width * jpeg.height;
  if (pixels > options.maxPixels) {
    fail('too-large', `image is ${jpeg.width}×${jpeg.height} = ${pixels} pixels, over the limit of ${options.maxPixels}`);
  }

  const exif = jpeg.exif ? readExif(bytes, jpeg.exif) : {};
  const dpi = dpiFromJfif(jpeg.jfifDensity) ?? usableDpi(exif.dpi) ?? { x: options.defaultDpi, y: options.defaultDpi };
  const components = jpeg.components as 1 | 3 | 4;
  const profile = matchingProfile(assembleIccProfile(bytes, jpeg.iccChunks), components);
  // Photoshop writes Adobe-marked CMYK JPEGs inverted; without that marker CMYK is taken as is.
  const inverted = components === 4 && jpeg.adobeTransform !== undefined;

  return {
    image: {
      data: bytes,
      filter: 'DCTDecode',
      width: jpeg.width,
      height: jpeg.height,
      bitsPerComponent: 8,
      components,
      iccProfile: profile,
      decode: inverted ? [1, 0, 1, 0, 1, 0, 1, 0] : undefined,
    },
    geometry: pageGeometry(jpeg.width, jpeg.height, dpi, exif.orientation ?? 1),
  };
}
