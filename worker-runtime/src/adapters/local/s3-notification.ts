/**
 * Builds event notifications shaped exactly like the ones S3 sends to SQS
 * (event version 2.1, `ObjectCreated:Put`), so local mode feeds the run loop the same bodies.
 */
import { randomBytes } from 'crypto';

/**
 * S3 encodes keys in notifications like an HTML form (`application/x-www-form-urlencoded`):
 * a space becomes `+`, `+` becomes `%2B`, other reserved and non-ASCII characters are
 * percent-encoded (UTF-8) — but `/` is left as it is.
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment)
      .replace(/%20/g, '+')
      .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

let lastSequencer = 0n;

/**
 * S3's sequencer orders events for the same key: a hex string that grows with time. Derived here
 * from the wall clock in microseconds, forced to grow within this process.
 */
export function nextSequencer(): string {
  let v = BigInt(Date.now()) * 1000n;
  if (v <= lastSequencer) v = lastSequencer + 1n;
  lastSequencer = v;
  return v.toString(16).toUpperCase().padStart(16, '0');
}

export interface ObjectCreatedEvent {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly region: string;
  /** The notification configuration's id. */
  readonly configurationId: string;
}

/** The JSON body S3 would deliver to the queue for one PutObject. */
export function objectCreatedNotification(e: ObjectCreatedEvent): string {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: e.region,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:LOCAL' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: {
          'x-amz-request-id': requestId,
          'x-amz-id-2': randomBytes(24).toString('base64'),
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: e.configurationId,
          bucket: {
            name: e.bucket,
            ownerIdentity: { principalId: 'LOCAL' },
            arn: `arn:aws:s3:::${e.bucket}`,
          },
          object: {
            key: encodeS3EventKey(e.key),
            size: e.size,
            eTag: e.etag,
            sequencer: nextSequencer(),
          },
        },
      },
    ],
  });
}
