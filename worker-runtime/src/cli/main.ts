/**
 * Entry point of the `spot-worker` CLI. Each command lives in its own module
 * (`<name>-command.ts`) exporting `run(argv): Promise<number>` (the exit code) and `usage`.
 */
const COMMANDS: Record<string, string> = {
  convert: './convert-command',
  run: './run-command',
  local: './local-command',
};

interface CommandModule {
  run(argv: string[]): Promise<number>;
  readonly usage: string;
}

function load(name: string): CommandModule {
  // Loaded lazily so `convert` does not pay for the AWS SDK and `run` not for local mode.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(COMMANDS[name]) as CommandModule;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    const lines = Object.keys(COMMANDS).map((c) => {
      try { return load(c).usage; } catch { return `  spot-worker ${c}`; }
    });
    process.stdout.write(`usage:\n${lines.join('\n')}\n`);
    return command ? 0 : 2;
  }
  if (!(command in COMMANDS)) {
    process.stderr.write(`spot-worker: unknown command '${command}' (expected ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  return load(command).run(rest);
}
