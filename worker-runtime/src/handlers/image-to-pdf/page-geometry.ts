/**
 * Page size from the image's resolution, and the transformation that shows an EXIF-oriented
 * image upright without touching its pixels: the PDF content stream maps the image's unit
 * square onto the page with a `cm` matrix that rotates and/or mirrors it.
 */

export interface Dpi {
  readonly x: number;
  readonly y: number;
}

export interface PageGeometry {
  /** Page size in PDF points (1/72 in). */
  readonly width: number;
  readonly height: number;
  /** The `cm` operands [a b c d e f] that draw the image upright on the page. */
  readonly matrix: readonly [number, number, number, number, number, number];
}

/** PDF's implementation limit for a page side (200 inches). */
export const MAX_PAGE_POINTS = 14_400;

/** Densities outside this range are recording errors (and would make pages of 0 or absurd size). */
const MIN_DPI = 1;
const MAX_DPI = 100_000;

/** The density if it is plausible, else undefined (the next source, or the default, is used). */
export function usableDpi(dpi: Dpi | undefined): Dpi | undefined {
  if (!dpi) return undefined;
  const ok = (v: number) => Number.isFinite(v) && v >= MIN_DPI && v <= MAX_DPI;
  return ok(dpi.x) && ok(dpi.y) ? dpi : undefined;
}

/** JFIF density (units 1 = dpi, 2 = dots per cm; 0 = aspect ratio only → unusable). */
export function dpiFromJfif(density: { units: number; x: number; y: number } | undefined): Dpi | undefined {
  if (!density) return undefined;
  if (density.units === 1) return usableDpi({ x: density.x, y: density.y });
  if (density.units === 2) return usableDpi({ x: density.x * 2.54, y: density.y * 2.54 });
  return undefined;
}

/**
 * The page for a `width` × `height` pixel image at `dpi`, shown with EXIF `orientation`.
 * Orientations 5–8 swap the page's sides. A page that would exceed 200 inches is scaled down
 * to fit, keeping its aspect ratio.
 */
export function pageGeometry(width: number, height: number, dpi: Dpi, orientation = 1): PageGeometry {
  const storedW = (width * 72) / dpi.x;
  const storedH = (height * 72) / dpi.y;
  const swap = orientation >= 5 && orientation <= 8;
  let W = swap ? storedH : storedW;
  let H = swap ? storedW : storedH;
  const over = Math.max(W, H) / MAX_PAGE_POINTS;
  if (over > 1) {
    W /= over;
    H /= over;
  }
  W = round(W);
  H = round(H);
  return { width: W, height: H, matrix: orientationMatrix(orientation, W, H) };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * Maps the image's unit square (u right, v up; v = 1 is the first stored row) onto a W × H
 * page so that the EXIF orientation is undone. Derived from where each orientation puts the
 * stored first row and first column (EXIF 2.3, tag 0x0112).
 */
export function orientationMatrix(orientation: number, W: number, H: number): PageGeometry['matrix'] {
  switch (orientation) {
    case 2: return [-W, 0, 0, H, W, 0]; // mirrored left-right
    case 3: return [-W, 0, 0, -H, W, H]; // rotated 180°
    case 4: return [W, 0, 0, -H, 0, H]; // mirrored top-bottom
    case 5: return [0, -H, -W, 0, W, H]; // transposed
    case 6: return [0, -H, W, 0, 0, H]; // needs 90° clockwise
    case 7: return [0, H, W, 0, 0, 0]; // transversed
    case 8: return [0, H, -W, 0, W, 0]; // needs 90° counter-clockwise
    default: return [W, 0, 0, H, 0, 0];
  }
}
