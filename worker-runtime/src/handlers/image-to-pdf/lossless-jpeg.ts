/**
 * A decoder for Huffman-coded lossless JPEG (SOF3, ITU-T T.81 Annex H) with 2–16 bits per
 * sample, for the precisions sharp's libjpeg does not take (it decodes 8-bit lossless itself).
 * Lossless decoding is exact arithmetic on integers, so these samples are the ones any
 * conforming decoder (libjpeg-turbo 3 included) gives. Supported: one or more components, each
 * sampled 1×1 (what lossless encoders write), interleaved or one scan per component, predictors
 * 1–7, point transform, restart intervals.
 */
import { fail } from './failures';

export interface LosslessImage {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly precision: number;
  /** Interleaved samples, row by row. */
  readonly samples: Uint16Array;
}

interface HuffmanTable {
  /** For code length l (1–16): the first code, the count, and the index of its first value. */
  readonly minCode: Int32Array;
  readonly maxCode: Int32Array;
  readonly valPtr: Int32Array;
  readonly values: Uint8Array;
}

function u16(b: Uint8Array, at: number): number {
  return b[at] * 256 + b[at + 1];
}

function corrupt(message: string): never {
  fail('corrupt', `lossless JPEG data is corrupt: ${message}`);
}

/** Builds the decoding tables of T.81 Figure F.15 from a DHT's counts and values. */
function huffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const minCode = new Int32Array(17);
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valPtr[l] = k;
    minCode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    maxCode[l] = counts[l - 1] > 0 ? code - 1 : -1;
    code *= 2;
  }
  maxCode[17] = 0x7fffffff; // sentinel: no code is longer than 16 bits
  return { minCode, maxCode, valPtr, values };
}

/** Reads entropy-coded bits, removing stuffed zero bytes; stops at a marker. */
class BitReader {
  private bits = 0;
  private count = 0;
  /** Set when a marker was reached: further bits read as zeros (as libjpeg does, with a warning). */
  marker = -1;
  /** Zero bytes supplied after the data ran out. */
  padded = 0;

  constructor(private readonly data: Uint8Array, public pos: number) {}

  private fill(): void {
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0 && this.pos < this.data.length) {
        byte = this.data[this.pos];
        if (byte === 0xff) {
          const next = this.data[this.pos + 1];
          if (next === 0x00) {
            this.pos += 2;
          } else {
            this.marker = next;
            byte = 0;
            this.padded++;
          }
        } else {
          this.pos++;
        }
      } else {
        this.padded++;
      }
      this.bits = (this.bits << 8) | byte; // eslint-disable-line no-bitwise
      this.count += 8;
    }
  }

  bit(): number {
    if (this.count === 0) this.fill();
    this.count--;
    return (this.bits >>> this.count) & 1; // eslint-disable-line no-bitwise
  }

  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** Whether decoding used bits beyond the scan's data (the data was cut short). */
  get overran(): boolean {
    return this.padded * 8 > this.count;
  }

  /** Discards buffered bits and skips the restart marker expected at this point. */
  restart(expected: number): void {
    this.padded = 0;
    this.bits = 0;
    this.count = 0;
    if (this.marker < 0) {
      // Bits left in the byte stream before the marker are padding (1-bits); find the marker.
      while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1] !== 0)) this.pos++;
      this.marker = this.data[this.pos + 1];
    }
    if (this.marker !== 0xd0 + expected) corrupt(`expected restart marker RST${expected}, found 0x${this.marker.toString(16).toUpperCase()}`);
    this.pos += 2;
    this.marker = -1;
  }
}

function decodeSymbol(reader: BitReader, table: HuffmanTable): number {
  let code = reader.bit();
  let l = 1;
  while (code > table.maxCode[l]) {
    code = code * 2 + reader.bit();
    l++;
    if (l > 16) corrupt('a Huffman code longer than 16 bits');
  }
  return table.values[table.valPtr[l] + code - table.minCode[l]];
}

/** The difference coded by category `t` (T.81 H.1.2.2: category 16 is 32768, no extra bits). */
function difference(reader: BitReader, t: number): number {
  if (t === 0) return 0;
  if (t === 16) return 32768;
  const v = reader.receive(t);
  return v < 2 ** (t - 1) ? v - 2 ** t + 1 : v;
}

/** `strict`: data cut short fails (`corrupt`) instead of decoding as zeros, as libjpeg warns. */
export function decodeLosslessJpeg(bytes: Uint8Array, strict: boolean): LosslessImage {
  const tables = new Map<number, HuffmanTable>();
  let frame: { precision: number; height: number; width: number; ids: number[] } | undefined;
  let samples: Uint16Array | undefined;
  let restartInterval = 0;
  let pos = 2;
  while (pos + 4 <= bytes.length) {
    if (bytes[pos] !== 0xff) corrupt(`expected a marker at offset ${pos}`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) { pos++; continue; }
    if (marker === 0xd9) break;
    const length = u16(bytes, pos + 2);
    const body = pos + 4;
    const end = pos + 2 + length;
    if (end > bytes.length) corrupt(`segment 0x${marker.toString(16)} runs past the end of the file`);
    if (marker === 0xc3) {
      const n = bytes[body + 5];
      const ids: number[] = [];
      for (let c = 0; c < n; c++) {
        if (bytes[body + 6 + c * 3 + 1] !== 0x11) fail('unsupported-format', 'lossless JPEG with subsampled components cannot be decoded (only 1×1 sampling)');
        ids.push(bytes[body + 6 + c * 3]);
      }
      frame = { precision: bytes[body], height: u16(bytes, body + 1), width: u16(bytes, body + 3), ids };
      if (frame.precision < 2 || frame.precision > 16) corrupt(`sample precision ${frame.precision} (2 to 16 allowed)`);
      samples = new Uint16Array(frame.width * frame.height * n);
    } else if (marker === 0xc4) {
      for (let at = body; at < end;) {
        const id = bytes[at];
        const counts = bytes.subarray(at + 1, at + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        tables.set(id, huffmanTable(counts, bytes.subarray(at + 17, at + 17 + total)));
        at += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(bytes, body);
    } else if (marker === 0xda) {
      if (!frame || !samples) corrupt('a scan before the frame header');
      pos = decodeScan(bytes, body, end, frame, samples, tables, restartInterval, strict);
      continue;
    }
    pos = end;
  }
  if (!frame || !samples) corrupt('no frame header');
  return { width: frame.width, height: frame.height, components: frame.ids.length, precision: frame.precision, samples };
}

/** Decodes one scan into `samples`; returns the offset of the marker after its data. */
function decodeScan(bytes: Uint8Array, body: number, end: number,
  frame: { precision: number; height: number; width: number; ids: number[] }, samples: Uint16Array,
  tables: Map<number, HuffmanTable>, restartInterval: number, strict: boolean): number {
  const n = bytes[body];
  const comps: { index: number; table: HuffmanTable }[] = [];
  for (let i = 0; i < n; i++) {
    const index = frame.ids.indexOf(bytes[body + 1 + i * 2]);
    if (index < 0) corrupt('a scan names a component the frame does not have');
    const table = tables.get(bytes[body + 2 + i * 2] >> 4); // eslint-disable-line no-bitwise
    if (!table) corrupt('a scan uses a Huffman table that was not defined');
    comps.push({ index, table });
  }
  const predictor = bytes[body + 1 + n * 2];
  const pointTransform = bytes[body + 3 + n * 2] % 16;
  if (predictor < 1 || predictor > 7) corrupt(`predictor ${predictor} (1 to 7 allowed)`);
  const { width, height } = frame;
  const stride = frame.ids.length;
  const modulo = 65536;
  const initial = 2 ** (frame.precision - pointTransform - 1);
  const scale = 2 ** pointTransform;
  // Predictions work on the point-transformed values; samples are stored shifted back.
  const value = (x: number, y: number, c: number) => samples[(y * width + x) * stride + c] / scale;
  const reader = new BitReader(bytes, end);
  let mcus = 0;
  let restarts = 0;
  let rowStart = 0; // first row after the last restart: predicted as a first row
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (restartInterval > 0 && mcus > 0 && mcus % restartInterval === 0) {
        if (x !== 0) fail('unsupported-format', 'lossless JPEG whose restart interval is not a whole number of rows cannot be decoded');
        if (strict && reader.overran) corrupt('premature end of data segment');
        reader.restart(restarts % 8);
        restarts++;
        rowStart = y;
      }
      for (const { index: c, table } of comps) {
        let prediction: number;
        if (x === 0 && y === rowStart) {
          prediction = initial;
        } else if (y === rowStart) {
          prediction = value(x - 1, y, c);
        } else if (x === 0) {
          prediction = value(x, y - 1, c);
        } else {
          const a = value(x - 1, y, c);
          const b = value(x, y - 1, c);
          const d = value(x - 1, y - 1, c);
          switch (predictor) {
            case 1: prediction = a; break;
            case 2: prediction = b; break;
            case 3: prediction = d; break;
            case 4: prediction = a + b - d; break;
            case 5: prediction = a + Math.floor((b - d) / 2); break;
            case 6: prediction = b + Math.floor((a - d) / 2); break;
            default: prediction = Math.floor((a + b) / 2); break;
          }
        }
        const diff = difference(reader, decodeSymbol(reader, table));
        const v = (((prediction + diff) % modulo) + modulo) % modulo;
        samples[(y * width + x) * stride + c] = v * scale;
      }
      mcus++;
    }
  }
  if (strict && reader.overran) corrupt('premature end of data segment');
  // The scan's data ends at the next marker.
  let at = reader.pos;
  while (at + 1 < bytes.length && !(bytes[at] === 0xff && bytes[at + 1] !== 0 && (bytes[at + 1] < 0xd0 || bytes[at + 1] > 0xd7))) at++;
  return at;
}
