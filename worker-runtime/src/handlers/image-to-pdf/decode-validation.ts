/**
 * Optional decode validation: a full decode with sharp (libjpeg-turbo) that fails on any
 * decoder warning, which is how corruption inside the entropy-coded data shows up. The marker
 * walk cannot see it because that data is opaque without decoding.
 */
import { fail } from './failures';
import { loadSharp } from './load-sharp';

export async function validateByDecoding(bytes: Uint8Array, maxPixels: number): Promise<void> {
  try {
    // Decoding to raw pixels is the cheapest output that still forces every scan through the decoder.
    await loadSharp()(bytes, { failOn: 'warning', limitInputPixels: maxPixels, sequentialRead: true })
      .raw()
      .toBuffer();
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    fail('corrupt', `image data is corrupt (full decode failed: ${reason})`, err);
  }
}
