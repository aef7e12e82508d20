/**
 * The permanent failures of the image → PDF handler. Each has a stable `kind` (used as the
 * DLQ `FailureKind` attribute and the `Kind` metric dimension) and a message a person can act on.
 */
import type { ImageFailureKind } from '../../contract/failure-kinds';
import { InvalidInputError } from '../../core/errors';

/** Every failure kind this handler can raise (contract/failure-kinds.ts). */
export type { ImageFailureKind };

export class ImageInputError extends InvalidInputError {
  public readonly kind: ImageFailureKind;
  constructor(kind: ImageFailureKind, message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = 'ImageInputError';
    this.kind = kind;
  }
}

export function fail(kind: ImageFailureKind, message: string, cause?: unknown): never {
  throw new ImageInputError(kind, message, cause === undefined ? undefined : { cause });
}
