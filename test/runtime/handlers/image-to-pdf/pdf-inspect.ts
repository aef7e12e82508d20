/**
 * Reads back what the handler wrote, with pdf-lib's parser: each page's size, the `cm` matrix
 * its content stream applies, and its image XObject (dictionary entries and raw stream bytes).
 */
import * as zlib from 'zlib';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, PDFStream } from 'pdf-lib';

export interface InspectedImage {
  readonly width: number;
  readonly height: number;
  readonly bitsPerComponent: number;
  readonly filter: string;
  /** `/DeviceRGB`, `/DeviceGray`, `/DeviceCMYK` or `/ICCBased`. */
  readonly colourSpace: string;
  readonly iccN?: number;
  readonly iccProfile?: Uint8Array;
  readonly decode?: number[];
  /** The stream's bytes exactly as stored in the file. */
  readonly data: Uint8Array;
  readonly softMask?: InspectedImage;
}

export interface InspectedPage {
  readonly width: number;
  readonly height: number;
  readonly matrix: number[];
  readonly image: InspectedImage;
}

function num(dict: PDFDict, key: string): number {
  return (dict.get(PDFName.of(key)) as PDFNumber).asNumber();
}

function inspectImage(doc: PDFDocument, stream: PDFRawStream): InspectedImage {
  const dict = stream.dict;
  const cs = dict.get(PDFName.of('ColorSpace'));
  let colourSpace: string;
  let iccN: number | undefined;
  let iccProfile: Uint8Array | undefined;
  if (cs instanceof PDFArray) {
    colourSpace = cs.get(0).toString();
    const profile = doc.context.lookup(cs.get(1) as PDFRef) as PDFRawStream;
    iccN = num(profile.dict, 'N');
    iccProfile = profile.contents;
  } else {
    colourSpace = String(cs);
  }
  const decodeArray = dict.get(PDFName.of('Decode'));
  const smaskRef = dict.get(PDFName.of('SMask'));
  return {
    width: num(dict, 'Width'),
    height: num(dict, 'Height'),
    bitsPerComponent: num(dict, 'BitsPerComponent'),
    filter: String(dict.get(PDFName.of('Filter'))),
    colourSpace,
    iccN,
    iccProfile,
    decode: decodeArray instanceof PDFArray ? decodeArray.asArray().map((n) => (n as PDFNumber).asNumber()) : undefined,
    data: stream.contents,
    softMask: smaskRef ? inspectImage(doc, doc.context.lookup(smaskRef as PDFRef) as PDFRawStream) : undefined,
  };
}

function contentText(doc: PDFDocument, contents: unknown): string {
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : [contents];
  return streams.map((s) => {
    const raw = s as PDFRawStream;
    const filter = raw.dict.get(PDFName.of('Filter'));
    const bytes = filter && String(filter) === '/FlateDecode' ? zlib.inflateSync(raw.contents) : raw.contents;
    return Buffer.from(bytes).toString('latin1');
  }).join('\n');
}

export async function inspectPdf(bytes: Uint8Array): Promise<InspectedPage[]> {
  const doc = await PDFDocument.load(bytes);
  return doc.getPages().map((page) => {
    const node = page.node;
    const contents = node.get(PDFName.of('Contents'));
    const text = contentText(doc, contents instanceof PDFRef ? doc.context.lookup(contents) as PDFStream : contents);
    const cm = /([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) cm/.exec(text);
    if (!cm) throw new Error(`no cm operator in content stream: ${text}`);
    const resources = node.Resources()!;
    const xobjects = resources.lookup(PDFName.of('XObject'), PDFDict);
    const [, ref] = xobjects.entries()[0];
    const { width, height } = page.getSize();
    return {
      width,
      height,
      matrix: cm.slice(1).map(Number),
      image: inspectImage(doc, doc.context.lookup(ref) as PDFRawStream),
    };
  });
}

/** The image's samples after FlateDecode (for lossless checks of the sharp path). */
export function inflate(image: InspectedImage): Buffer {
  return zlib.inflateSync(image.data);
}
