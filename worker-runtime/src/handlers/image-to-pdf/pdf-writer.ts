/**
 * Writes image XObjects into a PDF with pdf-lib at the object level, so the image data goes in
 * exactly as given (a JPEG's bytes as a DCTDecode stream, never re-encoded) with the colour
 * space (ICCBased when a fitting profile exists) and Decode array the image needs.
 */
import {
  PDFDict,
  PDFDocument,
  PDFName,
  PDFRef,
} from 'pdf-lib';
import { PageGeometry } from './page-geometry';
import { PassThroughStream } from './pass-through-stream';
import { PdfParts, serializeToParts } from './pdf-serializer';

export type DeviceColourSpace = 'DeviceGray' | 'DeviceRGB' | 'DeviceCMYK';

export interface PdfImage {
  /** The encoded image data, embedded as is. */
  readonly data: Uint8Array;
  readonly filter: 'DCTDecode' | 'FlateDecode';
  readonly width: number;
  readonly height: number;
  readonly bitsPerComponent: number;
  readonly components: 1 | 3 | 4;
  /** Embedded as an ICCBased colour space; must describe `components` channels. */
  readonly iccProfile?: Uint8Array;
  /** E.g. [1 0 1 0 1 0 1 0] for Adobe's inverted CMYK. */
  readonly decode?: readonly number[];
  /** An alpha channel (single component, same size), embedded as the image's /SMask. */
  readonly softMask?: PdfImage;
}

export interface PdfPage {
  readonly image: PdfImage;
  readonly geometry: PageGeometry;
}

const ASCII = new TextEncoder();

/** PDF numbers have no exponent form; page geometry is already rounded to 1/1000 pt. */
function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}

const DEVICE: Record<number, DeviceColourSpace> = { 1: 'DeviceGray', 3: 'DeviceRGB', 4: 'DeviceCMYK' };

export async function writePdf(pages: readonly PdfPage[]): Promise<PdfParts> {
  // No Producer/CreationDate: the same image always gives the same bytes, so a redelivered
  // message overwrites its output with an identical file.
  const doc = await PDFDocument.create({ updateMetadata: false });
  const context = doc.context;
  const profiles = new Map<Uint8Array, PDFRef>();

  const embed = (image: PdfImage): PDFRef => {
    let colourSpace: unknown = DEVICE[image.components];
    if (image.iccProfile) {
      let ref = profiles.get(image.iccProfile);
      if (!ref) {
        const dict = context.obj({ N: image.components, Alternate: DEVICE[image.components] });
        ref = context.register(PassThroughStream.of(dict, image.iccProfile));
        profiles.set(image.iccProfile, ref);
      }
      colourSpace = [PDFName.of('ICCBased'), ref];
    }
    const entries: Record<string, unknown> = {
      Type: 'XObject',
      Subtype: 'Image',
      Width: image.width,
      Height: image.height,
      BitsPerComponent: image.bitsPerComponent,
      ColorSpace: colourSpace,
      Filter: image.filter,
    };
    if (image.decode) entries.Decode = [...image.decode];
    if (image.softMask) entries.SMask = embed(image.softMask);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const dict = context.obj(entries as any) as unknown as PDFDict;
    return context.register(PassThroughStream.of(dict, image.data));
  };

  pages.forEach(({ image, geometry }, index) => {
    const name = `Im${index}`;
    const page = doc.addPage([geometry.width, geometry.height]);
    page.node.set(PDFName.of('Resources'), context.obj({ XObject: { [name]: embed(image) } }));
    // Written uncompressed: deflating ~40 bytes costs more than it saves.
    const operators = `q ${geometry.matrix.map(formatNumber).join(' ')} cm /${name} Do Q`;
    page.node.set(PDFName.of('Contents'), context.register(PassThroughStream.of(context.obj({}), ASCII.encode(operators))));
  });
  // Classic xref layout: object streams would only compress a handful of tiny dictionaries.
  await doc.flush();
  return serializeToParts(context);
}
