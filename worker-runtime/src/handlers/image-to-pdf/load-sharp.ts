/**
 * sharp (libvips) is loaded only when needed — a non-JPEG input or decode validation — so the
 * common JPEG path never pays for loading a native image library.
 */
import type { Sharp, SharpOptions } from 'sharp';

type SharpFactory = (input?: Uint8Array | Buffer, options?: SharpOptions) => Sharp;

let cached: SharpFactory | undefined;

export function loadSharp(): SharpFactory {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cached ??= require('sharp') as SharpFactory;
  return cached;
}
