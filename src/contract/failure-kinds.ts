/**
 * Failure kinds: the `FailureKind` attribute of a dead-lettered message and the `Kind` dimension of
 * the `JobFailures` metric. One list, so the runtime, local mode's report and the dashboards agree.
 * A user's handler may raise kinds of its own (any string); these are the ones the project raises.
 *
 * No imports (see runtime-env.ts).
 */
export const FailureKind = {
  // The image → PDF handler (handlers/image-to-pdf/failures.ts), all permanent.
  EMPTY: 'empty',
  TRUNCATED: 'truncated',
  CORRUPT: 'corrupt',
  NOT_AN_IMAGE: 'not-an-image',
  UNSUPPORTED_FORMAT: 'unsupported-format',
  /** Over the byte or pixel limit (also raised by the job before the handler runs). */
  TOO_LARGE: 'too-large',
  // The job and the worker.
  /** The object was deleted before it was read. */
  OBJECT_GONE: 'object-gone',
  /** The message is not an S3 event the runtime can act on. */
  MALFORMED_EVENT: 'malformed-event',
  // S3's limits, checked before the call (core/s3-limits.ts), all permanent.
  /** The source key holds control characters (U+0000–U+001F, U+007F–U+009F). */
  KEY_HAS_CONTROL_CHARACTERS: 'key-has-control-characters',
  /** The output key would be over S3's 1,024 bytes. */
  OUTPUT_KEY_TOO_LONG: 'output-key-too-long',
  /** The output's user metadata would be over S3's 2 KB. */
  METADATA_TOO_LARGE: 'metadata-too-large',
  /** A permanent failure without a kind of its own. */
  PERMANENT: 'permanent',
  /** The `Kind` under which transient failures are counted. */
  TRANSIENT: 'transient',
  /** The job was stopped (drain deadline, shutdown). */
  ABORTED: 'aborted',
  /**
   * The job ran past `SPOT_WORKER_JOB_TIMEOUT_SECONDS`: its slot was freed and the message retried,
   * or dead-lettered with this kind on the queue's last receive (core/job-timeout.ts).
   */
  TIMED_OUT: 'timed-out',
  /** A handler threw something that is not an Error. */
  THROWN_NON_ERROR: 'thrown-non-error',
  // The command handler.
  COMMAND_FAILED: 'command-failed',
  COMMAND_NO_OUTPUT: 'command-no-output',
  COMMAND_REJECTED: 'command-rejected',
  /** SQS moved the message after `maxReceiveCount` receives (no `FailureKind` attribute of ours). */
  MAX_RECEIVES_EXCEEDED: 'max-receives-exceeded',
} as const;

export type FailureKind = typeof FailureKind[keyof typeof FailureKind];

/** The permanent failures of the image → PDF handler. */
export type ImageFailureKind =
  | typeof FailureKind.EMPTY
  | typeof FailureKind.TRUNCATED
  | typeof FailureKind.CORRUPT
  | typeof FailureKind.NOT_AN_IMAGE
  | typeof FailureKind.UNSUPPORTED_FORMAT
  | typeof FailureKind.TOO_LARGE;
