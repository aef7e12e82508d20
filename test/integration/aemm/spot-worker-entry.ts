/**
 * Runs the `spot-worker` CLI from its TypeScript sources (`node --import tsx`), so the
 * end-to-end tests exercise the current code as a real process without a prior build.
 */
import { main } from '../../../worker-runtime/src/cli/main';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { process.stderr.write(`spot-worker: ${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1; },
);
