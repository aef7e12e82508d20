/**
 * Gathered file writes: consecutive byte parts written with `writev`, so large parts (a JPEG's
 * bytes inside its PDF) go from their own buffers to the file without being joined first.
 */
import { writevSync } from 'fs';
import type { FileHandle } from 'fs/promises';

/** writev accepts at most IOV_MAX (1024 on Linux) buffers per call. */
const MAX_PARTS_PER_CALL = 1024;

/** Writes every byte of `parts`, in order, at the file's current position (writev may write less than asked). */
export async function writeParts(file: FileHandle, parts: readonly Uint8Array[]): Promise<number> {
  let rest = parts.filter((p) => p.length > 0);
  let total = 0;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest.slice(0, MAX_PARTS_PER_CALL));
    total += bytesWritten;
    rest = skip(rest, bytesWritten);
  }
  return total;
}

/** `writeParts` in one blocking call chain, for a file descriptor: for outputs small enough that a thread-pool round trip costs more than the write. */
export function writePartsSync(fd: number, parts: readonly Uint8Array[]): number {
  let rest = parts.filter((p) => p.length > 0);
  let total = 0;
  while (rest.length > 0) {
    const written = writevSync(fd, rest.slice(0, MAX_PARTS_PER_CALL));
    total += written;
    rest = skip(rest, written);
  }
  return total;
}

/** The parts after the first `offset` bytes. */
function skip(parts: readonly Uint8Array[], offset: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let left = offset;
  for (const part of parts) {
    if (left >= part.length) {
      left -= part.length;
    } else {
      rest.push(left > 0 ? part.subarray(left) : part);
      left = 0;
    }
  }
  return rest;
}
