/**
 * The S3 adapter's upload pieces (adapters/aws/s3-object-store.ts): a large output goes up in
 * pieces that are views of the handler's parts wherever a piece lies within one part, so the
 * output is never joined into a second full copy; only a piece that spans parts is copied.
 */
import { MULTIPART_PART_BYTES, pieces } from '../../../worker-runtime/src/adapters/aws/s3-object-store';

const sharesMemory = (piece: Uint8Array, part: Uint8Array): boolean =>
  piece.buffer === part.buffer && piece.byteOffset >= part.byteOffset && piece.byteOffset + piece.byteLength <= part.byteOffset + part.byteLength;

describe('upload pieces', () => {
  test('pieces of a PDF [header, large JPEG, trailer]: same bytes, every piece inside the JPEG a view of it, at most two copies', () => {
    const header = Buffer.from('%PDF-1.7 header of a few hundred bytes');
    const jpeg = Buffer.alloc(3 * MULTIPART_PART_BYTES + 12_345, 7);
    jpeg.writeUInt32BE(0xffd8ffe0, 0);
    const trailer = Buffer.from('endstream endobj xref trailer %%EOF');
    const out = [...pieces([header, jpeg, trailer], MULTIPART_PART_BYTES)];
    expect(Buffer.concat(out).equals(Buffer.concat([header, jpeg, trailer]))).toBe(true);
    expect(out.slice(0, -1).every((p) => p.length === MULTIPART_PART_BYTES)).toBe(true);
    const copies = out.filter((p) => !sharesMemory(p, jpeg));
    // The first piece (header + JPEG start) and the last (JPEG end + trailer) span parts.
    expect(copies).toHaveLength(2);
  });

  test('one part: pieces are views only, never copies', () => {
    const body = Buffer.alloc(2 * MULTIPART_PART_BYTES + 1, 1);
    const out = [...pieces([body], MULTIPART_PART_BYTES)];
    expect(out.map((p) => p.length)).toEqual([MULTIPART_PART_BYTES, MULTIPART_PART_BYTES, 1]);
    expect(out.every((p) => sharesMemory(p, body))).toBe(true);
  });
});
