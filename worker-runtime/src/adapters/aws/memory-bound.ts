/**
 * The documented peak memory of `spot-worker run` (docs/runtime.md, "Memory"): each running job
 * holds its input once (read into one buffer of the size S3 reports; a JPEG's PDF references it, never
 * copies it) and at most one upload piece besides (to S3 in pieces of MULTIPART_PART_BYTES,
 * never the whole output joined again). Prefetched messages hold no bytes. The constant is the
 * process itself: Node.js, the SDK clients, sharp/libvips, the heap's slack.
 */
import { MULTIPART_PART_BYTES } from './s3-object-store';

/**
 * The process apart from its jobs' bytes: 75 MiB measured (VmHWM of `spot-worker run` with small
 * jobs, x64 Node.js 20), the rest headroom for buffers the garbage collector has not freed yet.
 */
export const RUNTIME_BASE_RSS_BYTES = 160 * 1024 * 1024;

/** Peak RSS of `spot-worker run` with `concurrency` jobs of inputs up to `maxInputBytes` (JPEG path). */
export function peakRssBoundBytes(concurrency: number, maxInputBytes: number): number {
  return RUNTIME_BASE_RSS_BYTES + concurrency * (maxInputBytes + MULTIPART_PART_BYTES);
}
