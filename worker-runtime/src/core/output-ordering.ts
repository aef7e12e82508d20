/**
 * Events for one key can arrive in any order and be delivered more than once, so a job must not
 * overwrite an output made from a newer upload. Each output records the sequencer of the event it
 * was made for (`source-sequencer`); before writing, the current output's is compared with ours,
 * and the write is conditional on the output still being the one looked at (If-Match its ETag, or
 * If-None-Match * when there was none), so two jobs racing cannot both win.
 *
 * Almost always there is no output yet, so the first write is tried blind, If-None-Match *: one
 * storage round trip instead of a look and a write. Only when it is refused (an output exists) does
 * the job look and compare. Every round trip is tens of milliseconds on S3 (and a billed request),
 * and a job's slot is held for all of them.
 */
import { OutputChangedError } from './errors';
import { SINGLE_PUT_MAX_BYTES, type ObjectStore, type PutOptions } from './ports';

/** Metadata names linking an output to its source. */
export const SOURCE_SEQUENCER = 'source-sequencer';

/**
 * Orders two sequencers of events for the same key: negative when `a` is older. S3: "the
 * sequencers can be of different lengths; to compare them, first right-pad the shorter value
 * with zeros, then compare lexicographically" (S3 User Guide, event message structure).
 */
export function compareSequencers(a: string, b: string): number {
  const n = Math.max(a.length, b.length);
  const x = a.toUpperCase().padEnd(n, '0');
  const y = b.toUpperCase().padEnd(n, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

export type WriteResult =
  | { readonly written: true }
  /** The output already comes from this event (a duplicate delivery) or from a newer one. */
  | { readonly written: false; readonly reason: 'already-current' | 'newer-output'; readonly outputSequencer: string };

/** Conflicting writers get this many looks at the output before the job is retried. */
const MAX_ATTEMPTS = 3;

/**
 * Outputs up to this size are first written blind (If-None-Match *). A larger one may go in parts
 * that S3 refuses only at the end, after every part was sent, so it looks first.
 */
export const BLIND_WRITE_MAX_BYTES = SINGLE_PUT_MAX_BYTES;

/**
 * Writes the output unless the one stored is from the same or a newer event. Without a sequencer
 * (an event from elsewhere) the write is unconditional, as there is nothing to order by.
 */
export async function writeUnlessStale(
  store: ObjectStore, bucket: string, key: string, body: readonly Uint8Array[], options: PutOptions, sequencer: string | undefined,
): Promise<WriteResult> {
  if (sequencer === undefined) {
    await store.putObject(bucket, key, body, options);
    return { written: true };
  }
  const metadata = { ...options.metadata, [SOURCE_SEQUENCER]: sequencer };
  if (body.reduce((n, part) => n + part.byteLength, 0) <= BLIND_WRITE_MAX_BYTES) {
    try {
      await store.putObject(bucket, key, body, { ...options, ifNoneMatch: '*', metadata });
      return { written: true };
    } catch (err) {
      // An output exists (or another job is writing one): look at it, as below.
      if (!(err instanceof OutputChangedError)) throw err;
    }
  }
  for (let attempt = 1; ; attempt++) {
    const head = await store.headObject(bucket, key, options.signal);
    const theirs = head?.metadata[SOURCE_SEQUENCER];
    if (theirs !== undefined) {
      const order = compareSequencers(theirs, sequencer);
      if (order >= 0) return { written: false, reason: order === 0 ? 'already-current' : 'newer-output', outputSequencer: theirs };
    }
    const condition: Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'> = head === undefined ? { ifNoneMatch: '*' } : { ifMatch: head.etag };
    try {
      await store.putObject(bucket, key, body, { ...options, ...condition, metadata });
      return { written: true };
    } catch (err) {
      // Another job wrote it between our look and our write: look again.
      if (!(err instanceof OutputChangedError) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
