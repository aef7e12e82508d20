/**
 * Options of the image → PDF handler, their defaults and their validation.
 */
import { readRuntimeEnvSubset, RUNTIME_ENV } from '../../contract/runtime-env';

export interface ImageToPdfOptions {
  /**
   * Inputs larger than this many bytes fail permanently (`too-large`) before any parsing.
   * @default 104857600 (100 MiB)
   */
  readonly maxBytes?: number;
  /**
   * Images with more pixels than this (width × height, per page) fail permanently (`too-large`).
   * @default 268402689 (sharp's own default, 16383 × 16383)
   */
  readonly maxPixels?: number;
  /**
   * Fully decode every JPEG (sharp, `failOn: 'warning'`) before embedding it, to catch corruption
   * inside the compressed data that the marker walk cannot see. Costs a full decode per image.
   * @default false
   */
  readonly validateDecode?: boolean;
  /**
   * Resolution assumed for images that record none (no JFIF/EXIF/PNG/TIFF density in inches
   * or centimetres): 96 dpi, the CSS reference pixel and img2pdf's default.
   * @default 96
   */
  readonly defaultDpi?: number;
}

export interface ResolvedImageToPdfOptions {
  readonly maxBytes: number;
  readonly maxPixels: number;
  readonly validateDecode: boolean;
  readonly defaultDpi: number;
}

// The environment's defaults are the handler's: one table (contract/runtime-env.ts) holds them.
export const DEFAULT_MAX_BYTES: number = RUNTIME_ENV.SPOT_WORKER_MAX_IMAGE_BYTES.default;
export const DEFAULT_MAX_PIXELS: number = RUNTIME_ENV.SPOT_WORKER_MAX_IMAGE_PIXELS.default;
export const DEFAULT_DPI = 96;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`image-to-pdf: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Fills in defaults and rejects nonsensical values with a message that says what to change. */
export function resolveOptions(options: ImageToPdfOptions = {}): ResolvedImageToPdfOptions {
  const defaultDpi = options.defaultDpi ?? DEFAULT_DPI;
  if (!Number.isFinite(defaultDpi) || defaultDpi < 1 || defaultDpi > 100_000) {
    throw new RangeError(`image-to-pdf: defaultDpi must be between 1 and 100000, got ${options.defaultDpi}`);
  }
  return {
    maxBytes: positiveInteger('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
    maxPixels: positiveInteger('maxPixels', options.maxPixels, DEFAULT_MAX_PIXELS),
    validateDecode: options.validateDecode ?? false,
    defaultDpi,
  };
}

/**
 * Reads the handler's options from the runtime's documented environment variables
 * (`SPOT_WORKER_MAX_IMAGE_BYTES`, `SPOT_WORKER_MAX_IMAGE_PIXELS`, `SPOT_WORKER_VALIDATE_DECODE`), by
 * the contract's rules, so a value `spot-worker run` accepts is accepted here too. Unset variables
 * keep the defaults; malformed ones throw (every problem named) so a misconfigured worker fails at start.
 */
export function imageToPdfOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ImageToPdfOptions {
  const { values, problems } = readRuntimeEnvSubset(env, ['SPOT_WORKER_MAX_IMAGE_BYTES', 'SPOT_WORKER_MAX_IMAGE_PIXELS', 'SPOT_WORKER_VALIDATE_DECODE']);
  if (problems.length > 0) throw new RangeError(problems.map((p) => p.message).join('; '));
  return {
    maxBytes: values.SPOT_WORKER_MAX_IMAGE_BYTES,
    maxPixels: values.SPOT_WORKER_MAX_IMAGE_PIXELS,
    validateDecode: values.SPOT_WORKER_VALIDATE_DECODE,
  };
}
