/**
 * Lays a pdf-lib document out as a list of byte parts instead of one buffer: large image streams
 * are referenced, not copied, so a caller can write the PDF with `writev` straight from the
 * input's bytes. The layout is pdf-lib's classic (non-object-stream) writer, object by object,
 * using pdf-lib's own objects for the header, each indirect object, the xref table and trailer.
 */
import { PDFContext, PDFCrossRefSection, PDFHeader, PDFObject, PDFRef, PDFTrailer, PDFTrailerDict } from 'pdf-lib';
import { PassThroughStream } from './pass-through-stream';

/** Streams at least this large are passed by reference. */
const BY_REFERENCE_BYTES = 64 * 1024;
const ASCII = new TextEncoder();
const STREAM = ASCII.encode('\nstream\n');
const ENDSTREAM = ASCII.encode('\nendstream');
const ENDOBJ = ASCII.encode('\nendobj\n\n');

export interface PdfParts {
  readonly parts: Uint8Array[];
  readonly length: number;
}

function objHeader(ref: PDFRef): Uint8Array {
  return ASCII.encode(`${ref.objectNumber} ${ref.generationNumber} obj\n`);
}

function isByReference(object: PDFObject): object is PassThroughStream {
  return object instanceof PassThroughStream && object.getContentsSize() >= BY_REFERENCE_BYTES;
}

export function serializeToParts(context: PDFContext): PdfParts {
  const header = PDFHeader.forVersion(1, 7);
  const objects = context.enumerateIndirectObjects();
  const xref = PDFCrossRefSection.create();

  // First pass: offsets (for the xref table) and the size of everything but the referenced streams.
  let offset = header.sizeInBytes() + 2;
  let referenced = 0;
  const headers = objects.map(([ref, object]) => {
    xref.addEntry(ref, offset);
    const head = objHeader(ref);
    offset += head.length + object.sizeInBytes() + ENDOBJ.length;
    if (isByReference(object)) referenced += object.getContentsSize();
    return head;
  });
  const xrefOffset = offset;
  const trailerDict = PDFTrailerDict.of(context.obj({
    Size: context.largestObjectNumber + 1,
    Root: context.trailerInfo.Root,
    Encrypt: context.trailerInfo.Encrypt,
    Info: context.trailerInfo.Info,
    ID: context.trailerInfo.ID,
  }));
  const trailer = PDFTrailer.forLastCrossRefSectionOffset(xrefOffset);
  const length = xrefOffset + xref.sizeInBytes() + 1 + trailerDict.sizeInBytes() + 2 + trailer.sizeInBytes();

  // Second pass: write; every byte of `own` is written, so it need not be zeroed.
  const own = Buffer.allocUnsafe(length - referenced);
  const parts: Uint8Array[] = [];
  let at = header.copyBytesInto(own, 0);
  own[at++] = 0x0a;
  own[at++] = 0x0a;
  let partStart = 0;
  objects.forEach(([, object], i) => {
    own.set(headers[i], at);
    at += headers[i].length;
    if (isByReference(object)) {
      object.updateDict();
      at += object.dict.copyBytesInto(own, at);
      own.set(STREAM, at);
      at += STREAM.length;
      parts.push(own.subarray(partStart, at), object.getContents());
      partStart = at;
      own.set(ENDSTREAM, at);
      at += ENDSTREAM.length;
    } else {
      at += object.copyBytesInto(own, at);
    }
    own.set(ENDOBJ, at);
    at += ENDOBJ.length;
  });
  at += xref.copyBytesInto(own, at);
  own[at++] = 0x0a;
  at += trailerDict.copyBytesInto(own, at);
  own[at++] = 0x0a;
  own[at++] = 0x0a;
  at += trailer.copyBytesInto(own, at);
  if (at !== own.length) throw new Error(`PDF layout error: wrote ${at} of ${own.length} bytes`);
  parts.push(own.subarray(partStart, at));
  return { parts, length };
}

/** The parts as one buffer (one copy, into memory that is not zeroed first). */
export function joinParts({ parts, length }: PdfParts): Uint8Array {
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
}
