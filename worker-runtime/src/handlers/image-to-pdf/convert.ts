/**
 * The conversion itself, independent of where the bytes come from: limits, format detection by
 * content, the JPEG path (bytes kept, or decoded when DCTDecode cannot carry them) or the sharp
 * path (lossless pixels), then the PDF.
 */
import { validateByDecoding } from './decode-validation';
import { describeStart, detectFormat } from './detect-format';
import { fail } from './failures';
import { jpegPage } from './jpeg-image';
import { ImageToPdfOptions, ResolvedImageToPdfOptions, resolveOptions } from './options';
import { joinParts, PdfPage, PdfParts, writePdf } from './pdf-writer';
import { sharpPages } from './sharp-image';

/**
 * Converts one image to a PDF. Throws `ImageInputError` (a `PermanentError`) with kind `empty`,
 * `truncated`, `corrupt`, `not-an-image`, `unsupported-format` or `too-large` for input that can
 * never be converted; never returns a broken PDF.
 */
export async function convertImageToPdf(
  bytes: Uint8Array,
  options: ImageToPdfOptions | ResolvedImageToPdfOptions = {},
): Promise<Uint8Array> {
  return joinParts(await convertImageToPdfParts(bytes, options));
}

/**
 * Like `convertImageToPdf`, but returns the PDF as consecutive byte parts in which a JPEG's
 * bytes are the input itself (not copied): for writers that can gather (`writev`, streams).
 * The parts reference `bytes`, which must not change until they are written.
 */
export async function convertImageToPdfParts(
  bytes: Uint8Array,
  options: ImageToPdfOptions | ResolvedImageToPdfOptions = {},
): Promise<PdfParts> {
  const opts = resolveOptions(options);
  if (bytes.length === 0) fail('empty', 'file is empty (0 bytes)');
  if (bytes.length > opts.maxBytes) fail('too-large', `file is ${bytes.length} bytes, over the limit of ${opts.maxBytes}`);
  const detected = detectFormat(bytes);
  if (!detected.format) {
    if (detected.unsupported) fail('unsupported-format', `${detected.unsupported} is not a supported format (supported: JPEG, PNG, GIF, WebP, TIFF, AVIF)`);
    fail('not-an-image', `not a JPEG, PNG, GIF, WebP, TIFF or AVIF image (starts with ${describeStart(bytes)})`);
  }
  let pages: PdfPage[];
  if (detected.format === 'jpeg') {
    const { page, embedded } = await jpegPage(bytes, opts);
    pages = [page];
    // A decoded JPEG was already decoded (strictly, with validateDecode).
    if (opts.validateDecode && embedded) await validateByDecoding(bytes, opts.maxPixels);
  } else {
    pages = await sharpPages(bytes, detected.format, opts);
  }
  return writePdf(pages);
}
