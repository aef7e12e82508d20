/** Objects on Amazon S3 (ObjectStore port). */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectGoneError } from '../../core/errors';
import type { ObjectStore, PutOptions, StoredObject } from '../../core/ports';

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

function isParts(body: Uint8Array | readonly Uint8Array[]): body is readonly Uint8Array[] {
  return Array.isArray(body);
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client) {}

  async getObject(bucket: string, key: string, signal?: AbortSignal): Promise<StoredObject> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      return {
        // A Buffer of its own (not a view into a pooled one): some consumers read `.buffer` whole.
        body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        etag: res.ETag,
        versionId: res.VersionId,
        contentType: res.ContentType,
      };
    } catch (err) {
      // NoSuchBucket stays transient: a missing bucket is a deployment problem, not this object's.
      if (isNotFound(err) && (err as { name?: string }).name !== 'NoSuchBucket') throw new ObjectGoneError(bucket, key);
      throw err;
    }
  }

  async putObject(bucket: string, key: string, body: Uint8Array | readonly Uint8Array[], options: PutOptions): Promise<void> {
    await this.client.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      // One join for parts: a single-request PUT with a known length is the simplest correct upload
      // (a stream would need ContentLength and loses the SDK's retry of the body).
      Body: isParts(body) ? (body.length === 1 ? body[0] : Buffer.concat(body)) : body,
      ContentType: options.contentType,
      Metadata: options.metadata,
    }), { abortSignal: options.signal });
  }
}
