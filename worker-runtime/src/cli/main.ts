/**
 * Entry point of the `spot-worker` CLI. Each command lives in its own module
 * (`<name>-command.ts`) exporting `run(argv): Promise<number>` (the exit code) and `usage`.
 */
import { VERSION } from './version';

interface CommandModule {
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

// Loaded lazily so `convert` does not pay for the AWS SDK and `run` not for local mode. The
// require calls are static (inside functions) so esbuild finds them for the arm64 bundle.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => CommandModule> = {
  convert: () => require('./convert-command'),
  run: () => require('./run-command'),
  local: () => require('./local-command'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function load(name: string): CommandModule {
  return COMMANDS[name]();
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const lines = Object.keys(COMMANDS).map((c) => {
      try { return load(c).usage; } catch { return `  spot-worker ${c}`; }
    });
    process.stdout.write(`usage:\n${lines.join('\n')}\n`);
    return command ? 0 : 2;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    process.stderr.write(`spot-worker: unknown command '${command}' (expected ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  return load(command).run(rest);
}
