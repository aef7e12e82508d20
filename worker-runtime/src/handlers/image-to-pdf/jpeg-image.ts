/**
 * A JPEG as one PDF page: its bytes become a DCTDecode image as they are (or, for coding processes
 * DCTDecode cannot carry, its decoded samples); the headers decide the colour space, the Decode
 * array, the page size and the orientation.
 */
import { readExif } from './exif';
import { fail } from './failures';
import { assembleIccProfile, matchingProfile } from './icc';
import { codingProcess, embeddableAsDct } from './jpeg-coding';
import { decodedJpegImage } from './jpeg-decoded';
import { parseJpeg } from './jpeg-markers';
import { dpiFromJfif, pageGeometry, usableDpi } from './page-geometry';
import { PdfPage } from './pdf-writer';

export interface JpegPageOptions {
  readonly maxPixels: number;
  readonly defaultDpi: number;
  readonly validateDecode: boolean;
}

/** The page, and whether its image is the JPEG's own bytes (else decoded samples). */
export interface JpegPage {
  readonly page: PdfPage;
  readonly embedded: boolean;
}

export async function jpegPage(bytes: Uint8Array, options: JpegPageOptions): Promise<JpegPage> {
  const jpeg = parseJpeg(bytes);
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
  const geometry = pageGeometry(jpeg.width, jpeg.height, dpi, exif.orientation ?? 1);
  const components = jpeg.components as 1 | 3 | 4;
  const profile = matchingProfile(assembleIccProfile(bytes, jpeg.iccChunks), components);

  if (!embeddableAsDct(jpeg.frameType, jpeg.bitsPerComponent)) {
    const image = await decodedJpegImage(bytes, jpeg, codingProcess(jpeg.frameType), profile,
      { maxPixels: options.maxPixels, strict: options.validateDecode });
    return { page: { image, geometry }, embedded: false };
  }
  // Photoshop writes Adobe-marked CMYK JPEGs inverted; without that marker CMYK is taken as is.
  const inverted = components === 4 && jpeg.adobeTransform !== undefined;
  const image = {
    data: bytes,
    filter: 'DCTDecode' as const,
    width: jpeg.width,
    height: jpeg.height,
    bitsPerComponent: 8,
    components,
    iccProfile: profile,
    decode: inverted ? [1, 0, 1, 0, 1, 0, 1, 0] : undefined,
  };
  return { page: { image, geometry }, embedded: true };
}
