/**
 * The runtime package's version, printed by `spot-worker --version`. Read from its package.json
 * (worker-runtime/package.json; esbuild inlines it into the arm64 bundle), whose version moves
 * in lockstep with the construct's.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { name: string; version: string };

export const PACKAGE_NAME = pkg.name;
export const VERSION = pkg.version;
