/** Objects on Amazon S3 (ObjectStore port). */
import { Readable } from 'stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FailureKind } from '../../contract/failure-kinds';
import { ObjectGoneError, OutputChangedError, PermanentError, TooLargeError } from '../../core/errors';
import type { GetOptions, ObjectHead, ObjectStore, PutOptions, StoredObject } from '../../core/ports';

type SdkError = { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };

function isNotFound(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NoSuchKey' || e?.name === 'NoSuchVersion' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey'
    || e?.$metadata?.httpStatusCode === 404;
}

/**
 * 400s that no retry can fix. The runtime checks these limits before the call (core/s3-limits.ts);
 * this is the backstop should S3 count differently.
 */
const PERMANENT_PUT_ERRORS: Record<string, string> = {
  KeyTooLongError: FailureKind.OUTPUT_KEY_TOO_LONG,
  MetadataTooLarge: FailureKind.METADATA_TOO_LARGE,
};

function isParts(body: Uint8Array | readonly Uint8Array[]): body is readonly Uint8Array[] {
  return Array.isArray(body);
}

/**
 * Reads a response body into one buffer, refusing to go past `maxBytes`. With a known length
 * the buffer is allocated once and filled in place (no list of chunks joined at the end, which
 * would hold the object twice for a moment).
 */
async function readBounded(body: Readable, length: number | undefined, maxBytes: number | undefined): Promise<Buffer> {
  const limit = maxBytes ?? Infinity;
  if (length !== undefined && length > limit) { body.destroy(); throw new TooLargeError(limit, length); }
  const chunks: Buffer[] = [];
  // allocUnsafeSlow: a buffer of its own, never a view into the shared pool (some consumers read `.buffer` whole).
  const into = length !== undefined ? Buffer.allocUnsafeSlow(length) : undefined;
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (n + chunk.length > limit) { body.destroy(); throw new TooLargeError(limit); }
    if (into && n + chunk.length <= into.length) chunk.copy(into, n);
    else chunks.push(chunk);
    n += chunk.length;
  }
  if (into && n === into.length) return into;
  // Length unknown (or the body was not what the header said): join what came.
  return ownCopy(into ? [into.subarray(0, Math.min(n, into.length)), ...chunks] : chunks, n);
}

function viewOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function ownCopy(chunks: readonly Uint8Array[], n: number): Buffer {
  const out = Buffer.allocUnsafeSlow(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async getObject(bucket: string, key: string, signal?: AbortSignal, options: GetOptions = {}): Promise<StoredObject> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }), { abortSignal: signal });
      const body = res.Body instanceof Readable
        ? await readBounded(res.Body, res.ContentLength, options.maxBytes)
        : viewOf(res.Body ? await res.Body.transformToByteArray() : new Uint8Array());
      if (options.maxBytes !== undefined && body.length > options.maxBytes) throw new TooLargeError(options.maxBytes, body.length);
      return { body, etag: res.ETag, versionId: res.VersionId, contentType: res.ContentType };
    } catch (err) {
      // NoSuchBucket stays transient: a missing bucket is a deployment problem, not this object's.
      if (isNotFound(err) && (err as { name?: string }).name !== 'NoSuchBucket') throw new ObjectGoneError(bucket, key);
      throw err;
    }
  }

  async headObject(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      return { etag: res.ETag, metadata: res.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err) && (err as { name?: string }).name !== 'NoSuchBucket') return undefined;
      throw err;
    }
  }

  async putObject(bucket: string, key: string, body: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        // One join for parts: a single-request PUT with a known length is the simplest correct upload
        // (a stream would need ContentLength and loses the SDK's retry of the body).
        Body: isParts(body) ? (body.length === 1 ? body[0] : Buffer.concat(body)) : body,
        ContentType: options.contentType,
        Metadata: options.metadata,
        IfMatch: options.ifMatch,
        IfNoneMatch: options.ifNoneMatch,
      }), { abortSignal: options.signal });
    } catch (err) {
      const e = err as SdkError;
      if (e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412) throw new OutputChangedError(bucket, key, { cause: err });
      // A conditional write that lost a race with another one in progress (S3 answers 409).
      if (e?.name === 'ConditionalRequestConflict') throw new OutputChangedError(bucket, key, { cause: err });
      const kind = e?.name ? PERMANENT_PUT_ERRORS[e.name] : undefined;
      if (kind) throw new PermanentError(kind, `S3 refused s3://${bucket}/${key}: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }
}
