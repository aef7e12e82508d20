/**
 * Writes image pages as a PDF (ISO 32000-1, classic cross-reference table), straight to byte
 * parts: the PDF syntax is a few hundred bytes of text per page, and each image's data (a JPEG's
 * own bytes as a DCTDecode stream, never re-encoded, or Flate samples) is referenced, not copied,
 * so a caller can `writev` the PDF from the input's bytes. A document library's object model
 * cost more CPU than the rest of a JPEG's conversion and its garbage collection together, for
 * these few fixed objects.
 */
import { PageGeometry } from './page-geometry';

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

/** A PDF as consecutive byte parts (text parts and, between them, the streams' data by reference). */
export interface PdfParts {
  readonly parts: Uint8Array[];
  readonly length: number;
}

const DEVICE: Record<number, DeviceColourSpace> = { 1: 'DeviceGray', 3: 'DeviceRGB', 4: 'DeviceCMYK' };

/** PDF numbers have no exponent form; page geometry is already rounded to 1/1000 pt. */
function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, '');
}

/** Collects text (ASCII, so one character is one byte) and referenced data, tracking offsets. */
class PdfBuilder {
  readonly parts: Uint8Array[] = [];
  readonly offsets: number[] = [0]; // object 0 is the free list's head
  private text = '';
  private flushed = 0;

  get offset(): number {
    return this.flushed + this.text.length;
  }

  write(text: string): void {
    this.text += text;
  }

  /** Starts object `n` (numbers are assigned in order before writing, so offsets[n] is its own). */
  begin(n: number): void {
    this.offsets[n] = this.offset;
    this.write(`${n} 0 obj\n`);
  }

  object(n: number, body: string): void {
    this.begin(n);
    this.write(`${body}\nendobj\n`);
  }

  stream(n: number, dict: string, data: Uint8Array): void {
    this.begin(n);
    this.write(`<<${dict}/Length ${data.length}>>\nstream\n`);
    this.data(data);
    this.write('\nendstream\nendobj\n');
  }

  private data(bytes: Uint8Array): void {
    this.flushText();
    this.parts.push(bytes);
    this.flushed += bytes.length;
  }

  private flushText(): void {
    if (this.text.length === 0) return;
    this.parts.push(Buffer.from(this.text, 'latin1'));
    this.flushed += this.text.length;
    this.text = '';
  }

  finish(): PdfParts {
    this.flushText();
    return { parts: this.parts, length: this.flushed };
  }
}

/**
 * The PDF for `pages`, deterministic: no creation date, producer or ID, so the same image always
 * gives the same bytes (a redelivered message overwrites its output with an identical file).
 */
export function writePdf(pages: readonly PdfPage[]): PdfParts {
  let next = 3; // 1 catalog, 2 page tree
  const number = () => next++;
  const profiles = new Map<Uint8Array, number>();
  const out = new PdfBuilder();
  // The binary comment tells transfer tools the file is binary (ISO 32000-1 §7.5.2).
  out.write('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n');

  const embed = (image: PdfImage): number => {
    let colourSpace = `/${DEVICE[image.components]}`;
    if (image.iccProfile) {
      let ref = profiles.get(image.iccProfile);
      if (ref === undefined) {
        ref = number();
        profiles.set(image.iccProfile, ref);
        out.stream(ref, `/N ${image.components}/Alternate /${DEVICE[image.components]}`, image.iccProfile);
      }
      colourSpace = `[/ICCBased ${ref} 0 R]`;
    }
    const mask = image.softMask ? embed(image.softMask) : undefined;
    const ref = number();
    out.stream(ref, '/Type /XObject/Subtype /Image'
      + `/Width ${image.width}/Height ${image.height}/BitsPerComponent ${image.bitsPerComponent}`
      + `/ColorSpace ${colourSpace}/Filter /${image.filter}`
      + (image.decode ? `/Decode [${image.decode.join(' ')}]` : '')
      + (mask !== undefined ? `/SMask ${mask} 0 R` : ''), image.data);
    return ref;
  };

  const kids = pages.map(({ image, geometry }, index) => {
    const name = `Im${index}`;
    const xobject = embed(image);
    // Uncompressed: deflating ~40 bytes costs more than it saves.
    const contents = number();
    out.stream(contents, '', Buffer.from(`q ${geometry.matrix.map(formatNumber).join(' ')} cm /${name} Do Q`, 'latin1'));
    const page = number();
    out.object(page, `<</Type /Page/Parent 2 0 R/MediaBox [0 0 ${formatNumber(geometry.width)} ${formatNumber(geometry.height)}]`
      + `/Resources <</XObject <</${name} ${xobject} 0 R>>>>/Contents ${contents} 0 R>>`);
    return page;
  });
  out.object(1, '<</Type /Catalog/Pages 2 0 R>>');
  out.object(2, `<</Type /Pages/Kids [${kids.map((k) => `${k} 0 R`).join(' ')}]/Count ${kids.length}>>`);

  const xref = out.offset;
  const size = next;
  let table = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) table += `${String(out.offsets[n]).padStart(10, '0')} 00000 n \n`;
  out.write(`${table}trailer\n<</Size ${size}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`);
  return out.finish();
}

/** The parts as one buffer (one copy, into memory that is not zeroed first). */
export function joinParts({ parts, length }: PdfParts): Uint8Array {
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
}
