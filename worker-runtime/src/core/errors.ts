/**
 * Failure classification. The run loop decides what happens to a message from the class of
 * the error alone: a `PermanentError` moves the message to the DLQ with its reason at once
 * (retrying cannot help), anything else is treated as transient and retried through the
 * message's visibility timeout with backoff.
 */
import { FailureKind } from '../contract/failure-kinds';

export class PermanentError extends Error {
  /** Machine-readable kind, see contract/failure-kinds.ts. */
  public readonly kind: string;
  /** Marks the error as permanent for code that cannot share this class (see `isPermanent`). */
  public readonly permanent = true;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
    this.kind = kind;
  }
}

/** The input is not something the handler can ever convert. */
export class InvalidInputError extends PermanentError {
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = 'InvalidInputError';
  }
}

/** The source object does not exist (deleted before we got to it). */
export class ObjectGoneError extends PermanentError {
  constructor(bucket: string, key: string) {
    super(FailureKind.OBJECT_GONE, `s3://${bucket}/${key} no longer exists`);
    this.name = 'ObjectGoneError';
  }
}

/** The input is larger than the configured maximum (refused before its bytes are read). */
export class TooLargeError extends PermanentError {
  /** `bytes`: the size, when known; without it the read was stopped once it passed `limit`. */
  constructor(limit: number, bytes?: number) {
    super(FailureKind.TOO_LARGE, bytes !== undefined
      ? `object is ${bytes} bytes, over the limit of ${limit}`
      : `object is more than the limit of ${limit} bytes (reading stopped there)`);
    this.name = 'TooLargeError';
  }
}

/** A conditional write found the object changed since it was read (S3 412 PreconditionFailed). */
export class OutputChangedError extends Error {
  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${key} changed while this output was being made`, options);
    this.name = 'OutputChangedError';
  }
}

/** Explicitly transient: worth retrying later. Unknown errors are treated the same way. */
export class TransientError extends Error {
  public readonly kind: string;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
    this.kind = kind;
  }
}

/**
 * True for a `PermanentError`, and for any error carrying `permanent: true` and a string
 * `kind`: a user's handler module loaded from elsewhere (or another copy of this package)
 * cannot share the class, but can still say "never retry this".
 */
export function isPermanent(err: unknown): err is PermanentError {
  if (err instanceof PermanentError) return true;
  const e = err as { permanent?: unknown; kind?: unknown } | null;
  return err instanceof Error && e !== null && e.permanent === true && typeof e.kind === 'string';
}

/** A queue message whose body is not an S3 event notification we can read. */
export class MalformedEventError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(FailureKind.MALFORMED_EVENT, message, options);
    this.name = 'MalformedEventError';
  }
}

/** The runtime's configuration (environment variables) is invalid; the message says what to change. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
