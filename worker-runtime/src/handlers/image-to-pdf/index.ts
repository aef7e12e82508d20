/**
 * The default handler: image → PDF, lossless and faithful. See docs/handler-image-to-pdf.md.
 */
import { convertImageToPdfParts } from './convert';
import { ImageToPdfOptions, resolveOptions } from './options';
import { Handler, HandlerContext, HandlerInput, HandlerOutput, outputFromParts } from '../../core/handler';

export { convertImageToPdf, convertImageToPdfParts } from './convert';
export { PdfParts } from './pdf-writer';
export { ImageFailureKind, ImageInputError } from './failures';
export { detectFormat, ImageFormat } from './detect-format';
export {
  DEFAULT_DPI,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_PIXELS,
  ImageToPdfOptions,
  ResolvedImageToPdfOptions,
  imageToPdfOptionsFromEnv,
  resolveOptions,
} from './options';

export const IMAGE_TO_PDF_HANDLER_NAME = 'image-to-pdf';

/**
 * Creates the image → PDF handler. Options are validated here, so a misconfigured worker fails
 * at start rather than on its first message.
 */
export function imageToPdfHandler(options: ImageToPdfOptions = {}): Handler {
  const resolved = resolveOptions(options);
  return {
    name: IMAGE_TO_PDF_HANDLER_NAME,
    async handle(input: HandlerInput, context: HandlerContext): Promise<HandlerOutput> {
      context.signal.throwIfAborted();
      // Parts: the JPEG's bytes stay the input buffer's, written by gathering (no join).
      const pdf = await convertImageToPdfParts(input.body, resolved);
      context.signal.throwIfAborted();
      return outputFromParts(pdf.parts, 'application/pdf', '.pdf');
    },
  };
}
