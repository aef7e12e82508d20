/**
 * A PDF stream object whose bytes are written with one native copy. pdf-lib's own streams copy
 * their contents into the output a byte at a time in JavaScript, which made that loop the
 * largest cost of converting a multi-megabyte JPEG.
 */
import { PDFContext, PDFDict, PDFStream } from 'pdf-lib';

const STREAM = new TextEncoder().encode('\nstream\n');
const ENDSTREAM = new TextEncoder().encode('\nendstream');

export class PassThroughStream extends PDFStream {
  static of(dict: PDFDict, contents: Uint8Array): PassThroughStream {
    return new PassThroughStream(dict, contents);
  }

  private constructor(dict: PDFDict, private readonly contents: Uint8Array) {
    super(dict);
  }

  clone(context?: PDFContext): PassThroughStream {
    return PassThroughStream.of(this.dict.clone(context), this.contents);
  }

  getContents(): Uint8Array {
    return this.contents;
  }

  getContentsSize(): number {
    return this.contents.length;
  }

  getContentsString(): string {
    return Buffer.from(this.contents.buffer, this.contents.byteOffset, this.contents.length).toString('latin1');
  }

  copyBytesInto(buffer: Uint8Array, offset: number): number {
    this.updateDict();
    let at = offset + this.dict.copyBytesInto(buffer, offset);
    buffer.set(STREAM, at);
    at += STREAM.length;
    buffer.set(this.contents, at);
    at += this.contents.length;
    buffer.set(ENDSTREAM, at);
    at += ENDSTREAM.length;
    return at - offset;
  }
}
