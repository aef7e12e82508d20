/**
 * ICC profiles: reassembling the APP2 chunks of a JPEG and checking that a profile fits the
 * image (a PDF ICCBased colour space whose /N disagrees with the image is broken).
 */
import { IccChunk } from './jpeg-markers';

/** Joins `ICC_PROFILE` chunks in sequence order; undefined when they are absent or inconsistent. */
export function assembleIccProfile(bytes: Uint8Array, chunks: readonly IccChunk[]): Uint8Array | undefined {
  if (chunks.length === 0) return undefined;
  const count = chunks[0].count;
  if (count === 0 || chunks.length !== count || chunks.some((c) => c.count !== count)) return undefined;
  const ordered = [...chunks].sort((a, b) => a.sequence - b.sequence);
  if (ordered.some((c, i) => c.sequence !== i + 1)) return undefined;
  if (count === 1) return bytes.subarray(ordered[0].range.start, ordered[0].range.end);
  const total = ordered.reduce((n, c) => n + (c.range.end - c.range.start), 0);
  const profile = new Uint8Array(total);
  let at = 0;
  for (const c of ordered) {
    profile.set(bytes.subarray(c.range.start, c.range.end), at);
    at += c.range.end - c.range.start;
  }
  return profile;
}

/** Number of colour components the profile describes (1, 3, 4), or undefined if it is not a usable profile. */
export function iccComponents(profile: Uint8Array): number | undefined {
  if (profile.length < 128) return undefined;
  const sig = String.fromCharCode(profile[36], profile[37], profile[38], profile[39]);
  if (sig !== 'acsp') return undefined;
  const space = String.fromCharCode(profile[16], profile[17], profile[18], profile[19]);
  switch (space) {
    case 'GRAY': return 1;
    case 'RGB ': return 3;
    case 'CMYK': return 4;
    default: return undefined;
  }
}

/** The profile, if it exists and describes exactly `components` channels. */
export function matchingProfile(profile: Uint8Array | undefined, components: number): Uint8Array | undefined {
  return profile && iccComponents(profile) === components ? profile : undefined;
}
