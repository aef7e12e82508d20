/** Objects on Amazon S3 (ObjectStore port). */
import { Readable } from 'stream';
import {
  AbortMultipartUploadCommand, CompletedPart, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand,
  PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { FailureKind } from '../../contract/failure-kinds';
import { ObjectGoneError, OutputChangedError, PermanentError, TooLargeError } from '../../core/errors';
import { SINGLE_PUT_MAX_BYTES, type GetOptions, type ObjectHead, type ObjectStore, type PutOptions, type StoredObject } from '../../core/ports';

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
 * Outputs up to this size go in one PutObject (parts joined: a copy of at most this much); larger
 * ones in a multipart upload of pieces this size (S3's minimum is 5 MiB, the last may be smaller).
 */
export const MULTIPART_PART_BYTES = SINGLE_PUT_MAX_BYTES;

/**
 * The bytes of `parts` cut into pieces of `size` (the last shorter). A piece that lies within one
 * part is a view of it, never a copy; only a piece spanning parts is joined, so at most one
 * piece's worth is copied at a time and the output is never held twice.
 */
export function* pieces(parts: readonly Uint8Array[], size: number): Generator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const take = (): Uint8Array => {
    const piece = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return piece;
  };
  for (const part of parts) {
    for (let at = 0; at < part.length;) {
      const n = Math.min(size - pendingBytes, part.length - at);
      pending.push(part.subarray(at, at + n));
      pendingBytes += n;
      at += n;
      if (pendingBytes === size) yield take();
    }
  }
  if (pendingBytes > 0) yield take();
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
    const parts = isParts(body) ? body : [body];
    const size = parts.reduce((n, p) => n + p.length, 0);
    try {
      if (size > MULTIPART_PART_BYTES) {
        await this.putMultipart(bucket, key, parts, options);
        return;
      }
      await this.client.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        // A small output: joining its parts costs at most MULTIPART_PART_BYTES.
        Body: parts.length === 1 ? parts[0] : Buffer.concat(parts, size),
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

  /**
   * A large output, piece by piece (each piece a view of the handler's parts where it can be, each
   * retried by the SDK on its own), then completed under the write's condition: the object appears
   * whole, or not at all. A failed upload is aborted so its pieces are not kept (and billed).
   */
  private async putMultipart(bucket: string, key: string, parts: readonly Uint8Array[], options: PutOptions): Promise<void> {
    const signal = options.signal;
    const created = await this.client.send(new CreateMultipartUploadCommand({
      Bucket: bucket, Key: key, ContentType: options.contentType, Metadata: options.metadata, ChecksumAlgorithm: 'CRC32',
    }), { abortSignal: signal });
    const uploadId = created.UploadId!;
    try {
      const done: CompletedPart[] = [];
      let partNumber = 0;
      for (const piece of pieces(parts, MULTIPART_PART_BYTES)) {
        partNumber += 1;
        const res = await this.client.send(new UploadPartCommand({
          Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: piece, ChecksumAlgorithm: 'CRC32',
        }), { abortSignal: signal });
        done.push({ PartNumber: partNumber, ETag: res.ETag, ChecksumCRC32: res.ChecksumCRC32 });
      }
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: done },
        IfMatch: options.ifMatch,
        IfNoneMatch: options.ifNoneMatch,
      }), { abortSignal: signal });
    } catch (err) {
      // Best effort: an upload left behind is removed by a lifecycle rule, or stays until aborted.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw err;
    }
  }
}
