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
  /** The output's bytes. When `parts` is given it must hold the same bytes (it may be computed on first read). */
  readonly body: Uint8Array;
  /**
   * Optional: the same bytes as consecutive pieces, for writers that can gather (`writev`, the
   * local bucket) so a large piece, e.g. a JPEG's bytes inside its PDF, is never copied. The run
   * loop writes `parts` when present, else `body`; a handler that has one buffer returns just `body`.
   */
  readonly parts?: readonly Uint8Array[];
  readonly contentType: string;
  /** Appended to the source file name to form the output key, e.g. `.pdf`. */
  readonly extension: string;
}

/** The bytes to write: the output's parts when it has them, else its body. */
export function outputParts(output: HandlerOutput): readonly Uint8Array[] {
  return output.parts ?? [output.body];
}

/**
 * An output given as parts; `body` joins them on first read only (one copy, then kept), so a
 * writer that uses `parts` never pays for the join and a reader of `body` still gets one buffer.
 */
export function outputFromParts(parts: readonly Uint8Array[], contentType: string, extension: string): HandlerOutput {
  let joined: Uint8Array | undefined;
  return {
    parts,
    contentType,
    extension,
    get body(): Uint8Array {
      joined ??= parts.length === 1 ? parts[0] : Buffer.concat(parts);
      return joined;
    },
  };
}

export interface HandlerContext {
  /** Aborted when the job must stop (visibility extension failed, deadline passed). */
  readonly signal: AbortSignal;
}

export interface Handler {
  readonly name: string;
  handle(input: HandlerInput, context: HandlerContext): Promise<HandlerOutput>;
}
