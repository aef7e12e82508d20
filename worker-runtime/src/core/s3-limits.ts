/**
 * The limits S3 and SQS put on what the runtime writes, checked before the call: a request over
 * them comes back as a 400 that looks like any other error (and moto does not enforce them at
 * all), so without these checks such an object would be retried until redrive, with no reason.
 */
import { PermanentError } from './errors';
import { FailureKind } from '../contract/failure-kinds';

/** S3 object keys: at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
/** S3 user metadata: the UTF-8 bytes of every name and value together, at most 2 KB. */
export const MAX_METADATA_BYTES = 2048;

/**
 * C0 controls (U+0000–U+001F), DEL and the C1 controls (U+0080–U+009F). S3 stores such keys, but
 * they break XML listings, logs and consoles, and SQS refuses most of them in message attributes.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlCharacters(s: string): boolean {
  return CONTROL.test(s);
}

/** The key as a reader can see it: control characters as \uXXXX. */
export function printableKey(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A source key we will not process: permanent, with the reason. */
export function checkSourceKey(key: string): void {
  if (hasControlCharacters(key)) {
    throw new PermanentError(FailureKind.KEY_HAS_CONTROL_CHARACTERS, `the object key ${JSON.stringify(printableKey(key))} contains control characters: rename the object`);
  }
}

/** An output key S3 would refuse. */
export function checkOutputKey(outputKey: string): void {
  const bytes = Buffer.byteLength(outputKey, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new PermanentError(FailureKind.OUTPUT_KEY_TOO_LONG,
      `the output key would be ${bytes} bytes, over S3's ${MAX_KEY_BYTES}: shorten the source key (or the output prefix) by ${bytes - MAX_KEY_BYTES} bytes`);
  }
}

export function metadataBytes(metadata: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(metadata)) n += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  return n;
}

/** User metadata S3 would refuse. */
export function checkMetadata(metadata: Record<string, string>): void {
  const bytes = metadataBytes(metadata);
  if (bytes > MAX_METADATA_BYTES) {
    throw new PermanentError(FailureKind.METADATA_TOO_LARGE,
      `the output's metadata (the source bucket, key, ETag and version, percent-encoded) would be ${bytes} bytes, over S3's ${MAX_METADATA_BYTES}: shorten the source key`);
  }
}
