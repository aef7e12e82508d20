import * as fs from 'fs';
import * as path from 'path';

/** Entry point of the bundle, run by systemd as `node spot-worker.js run`. */
export const RUNTIME_ENTRY = 'spot-worker.js';

/**
 * The arm64 worker-runtime bundle folder. This file lives in `src/` (ts-jest) or `lib/` (compiled),
 * both one level below the package root, so the default resolves the same way from either.
 */
export function resolveRuntimeBundle(explicitPath?: string): string {
  const bundle = explicitPath
    ? path.resolve(explicitPath)
    : path.join(__dirname, '..', 'worker-runtime', 'dist', 'bundle-arm64');
  if (!fs.existsSync(path.join(bundle, RUNTIME_ENTRY))) {
    throw new Error(
      `QueueDrivenSpotWorkerFleet: the worker-runtime bundle is missing (${path.join(bundle, RUNTIME_ENTRY)} not found). ` +
      (explicitPath
        ? 'Point runtimeBundlePath at a folder built by the runtime\'s bundle script.'
        // The npm package always contains it (packaging fails without it), so only a clone meets this.
        : 'In a clone of this repository, `npx projen compile` builds it (or run npx projen bundle:runtime alone).'),
    );
  }
  return bundle;
}
