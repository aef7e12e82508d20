/**
 * Parses an SQS message body carrying an S3 event notification into the records the worker
 * must act on. Never throws anything but `MalformedEventError` (a permanent failure: the
 * message goes to the DLQ with kind `malformed-event`).
 */
import { MalformedEventError } from './errors';

/** One object the event asks us to process. */
export interface ObjectCreatedRecord {
  readonly bucket: string;
  /** Decoded key (`+` → space, then percent-decoding), e.g. `uploads/My Photos/a b.jpg`. */
  readonly key: string;
  readonly eventName: string;
  readonly size?: number;
  readonly etag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
}

export interface ParsedEvent {
  /** ObjectCreated records, in the order of the event. */
  readonly records: ObjectCreatedRecord[];
  /** Records acknowledged without work (other event types), by event name. */
  readonly skipped: string[];
  /** `s3:TestEvent`, sent once when the notification is configured. */
  readonly testEvent: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * S3 URL-encodes keys in notifications as an HTML form would: a space is `+`, and a literal
 * `+` is `%2B`. So `+` must become a space BEFORE percent-decoding.
 */
export function decodeS3Key(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (e) {
    throw new MalformedEventError(`object key is not valid percent-encoding: ${JSON.stringify(raw.slice(0, 200))}`, { cause: e });
  }
}

function parseRecord(rec: unknown, index: number): ObjectCreatedRecord | string {
  if (!isObject(rec)) throw new MalformedEventError(`Records[${index}] is not an object`);
  const eventName = rec.eventName;
  if (typeof eventName !== 'string') throw new MalformedEventError(`Records[${index}].eventName is missing`);
  if (!eventName.startsWith('ObjectCreated:')) return eventName;
  const s3 = rec.s3;
  if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object)) {
    throw new MalformedEventError(`Records[${index}] has no s3.bucket / s3.object`);
  }
  const bucket = s3.bucket.name;
  const rawKey = s3.object.key;
  if (typeof bucket !== 'string' || bucket === '') throw new MalformedEventError(`Records[${index}].s3.bucket.name is missing`);
  if (typeof rawKey !== 'string' || rawKey === '') throw new MalformedEventError(`Records[${index}].s3.object.key is missing`);
  const o = s3.object;
  return {
    bucket,
    key: decodeS3Key(rawKey),
    eventName,
    size: typeof o.size === 'number' && Number.isFinite(o.size) ? o.size : undefined,
    etag: typeof o.eTag === 'string' ? o.eTag : undefined,
    versionId: typeof o.versionId === 'string' && o.versionId !== '' ? o.versionId : undefined,
    sequencer: typeof o.sequencer === 'string' ? o.sequencer : undefined,
  };
}

export function parseS3Event(body: string): ParsedEvent {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new MalformedEventError(`message body is not JSON (${body.length} bytes)`, { cause: e });
  }
  if (!isObject(doc)) throw new MalformedEventError('message body is not a JSON object');
  if (doc.Event === 's3:TestEvent') return { records: [], skipped: [], testEvent: true };
  // An SNS envelope (S3 → SNS → SQS without raw delivery) carries the event in `Message`.
  if (typeof doc.Type === 'string' && doc.Type === 'Notification' && typeof doc.Message === 'string') {
    return parseS3Event(doc.Message);
  }
  const records = doc.Records;
  if (!Array.isArray(records)) throw new MalformedEventError('message body has no Records array (not an S3 event notification)');
  if (records.length === 0) throw new MalformedEventError('S3 event has an empty Records array');
  const out: ObjectCreatedRecord[] = [];
  const skipped: string[] = [];
  records.forEach((r, i) => {
    const parsed = parseRecord(r, i);
    if (typeof parsed === 'string') skipped.push(parsed);
    else out.push(parsed);
  });
  return { records: out, skipped, testEvent: false };
}

/**
 * Bytes the message's objects will take to download, as its event declares them (records without
 * a size count 0); 0 for a body that is not an S3 event (its job fails without downloading).
 * The Worker bounds the inputs of running jobs with it before any GET.
 */
export function declaredInputBytes(body: string): number {
  try {
    return parseS3Event(body).records.reduce((n, r) => n + (r.size ?? 0), 0);
  } catch {
    return 0;
  }
}
