/**
 * A JPEG's coding process, from its frame (SOF) marker (ITU-T T.81 Table B.1), and what that
 * means for the PDF: only 8-bit Huffman-coded DCT JPEGs (baseline, extended sequential,
 * progressive) can be embedded as they are (`DCTDecode`); the others are decoded to pixels.
 */

export interface CodingProcess {
  /** E.g. "arithmetic-coded progressive DCT (SOF10)", for error messages and logs. */
  readonly name: string;
  /** Differential frames of a hierarchical JPEG: no libjpeg implements them. */
  readonly hierarchical: boolean;
  readonly lossless: boolean;
  readonly arithmetic: boolean;
}

const NAMES: Record<number, string> = {
  0xc0: 'baseline DCT',
  0xc1: 'extended sequential DCT',
  0xc2: 'progressive DCT',
  0xc3: 'lossless',
  0xc5: 'hierarchical (differential sequential DCT)',
  0xc6: 'hierarchical (differential progressive DCT)',
  0xc7: 'hierarchical (differential lossless)',
  0xc9: 'arithmetic-coded extended sequential DCT',
  0xca: 'arithmetic-coded progressive DCT',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'arithmetic-coded hierarchical (differential sequential DCT)',
  0xce: 'arithmetic-coded hierarchical (differential progressive DCT)',
  0xcf: 'arithmetic-coded hierarchical (differential lossless)',
};

export function codingProcess(frameType: number): CodingProcess {
  const sof = `SOF${frameType - 0xc0}`;
  const low = frameType % 16;
  return {
    name: `${NAMES[frameType] ?? 'unknown'} (${sof})`,
    hierarchical: low === 5 || low === 6 || low === 7 || low === 0xd || low === 0xe || low === 0xf,
    lossless: low === 3 || low === 7 || low === 0xb || low === 0xf,
    arithmetic: frameType >= 0xc9,
  };
}

/** Whether a PDF reader's `DCTDecode` filter takes the file as it is. */
export function embeddableAsDct(frameType: number, bitsPerComponent: number): boolean {
  return (frameType === 0xc0 || frameType === 0xc1 || frameType === 0xc2) && bitsPerComponent === 8;
}
