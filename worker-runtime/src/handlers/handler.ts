/**
 * The contract between the run loop and a handler. The run loop fetches the source object,
 * calls `handle`, and writes the returned output under the output prefix. Handlers never
 * talk to S3 or SQS themselves, so they are trivially testable and usable in local mode.
 *
 * A handler signals bad input by throwing a `PermanentError` (see core/errors); any other
 * error is retried.
 */
export interface HandlerInput {
  /** Decoded source key, e.g. `uploads/My Photos/a b.jpg`. */
  readonly key: string;
  readonly bucket: string;
  readonly body: Buffer;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface HandlerOutput {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Appended to the source file name to form the output key, e.g. `.pdf`. */
  readonly extension: string;
}

export interface HandlerContext {
  /** Aborted when the job must stop (visibility extension failed, deadline passed). */
  readonly signal: AbortSignal;
}

export interface Handler {
  readonly name: string;
  handle(input: HandlerInput, context: HandlerContext): Promise<HandlerOutput>;
}
