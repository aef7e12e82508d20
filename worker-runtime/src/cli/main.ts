/**
 * Entry point of the `spot-worker` CLI. Each command lives in its own module
 * (`<name>-command.ts`) exporting its option table (`spec`) and `run(args)`, which returns the
 * exit code or throws. Parsing, `--help` and the mapping of errors to messages and exit codes
 * happen here, once, so every command speaks the same way:
 *   spot-worker <command>: <what is wrong and what to do>
 */
import { CommandError, CommandSpec, EXIT, helpText, OptionSpec, parseCommandArgs, ParsedArgs, synopsis, UsageError } from './args';
import { VERSION } from './version';
import { ConfigError } from '../core/errors';

interface CommandModule {
  readonly spec: CommandSpec<Record<string, OptionSpec>>;
  /** Entry points other processes of the CLI start (`local --worker-process`); not in the help. */
  readonly internal?: Record<string, () => Promise<number>>;
  run(args: ParsedArgs<Record<string, OptionSpec>>): Promise<number>;
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

function overview(): string {
  const lines = Object.keys(COMMANDS).map((c) => {
    try { return synopsis(COMMANDS[c]().spec); } catch { return `  spot-worker ${c}`; }
  });
  return `usage: spot-worker <command> [options]   (spot-worker ${VERSION})\n\n${lines.join('\n')}\n\n`
    + '  spot-worker <command> --help   the options of one command\n  spot-worker --version\n';
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    (command ? process.stdout : process.stderr).write(overview());
    return command ? EXIT.OK : EXIT.USAGE;
  }
  if (!Object.hasOwn(COMMANDS, command)) {
    process.stderr.write(`spot-worker: unknown command '${command}' (expected ${Object.keys(COMMANDS).join(', ')}; see spot-worker --help)\n`);
    return EXIT.USAGE;
  }
  const module = COMMANDS[command]();
  const internal = rest[0] !== undefined && module.internal && Object.hasOwn(module.internal, rest[0]) ? module.internal[rest[0]] : undefined;
  try {
    if (internal) return await internal();
    const args = parseCommandArgs(module.spec, rest);
    if (args.help) {
      process.stdout.write(helpText(module.spec));
      return EXIT.OK;
    }
    return await module.run(args);
  } catch (err) {
    const failure = describeFailure(command, err);
    if (!failure) throw err;
    process.stderr.write(`spot-worker ${command}: ${failure.message}\n`);
    return failure.code;
  }
}

/** The message and exit code of the errors a command throws on purpose; undefined for bugs (stack printed). */
function describeFailure(command: string, err: unknown): { message: string; code: number } | undefined {
  if (err instanceof UsageError) return { message: `${err.message} (see spot-worker ${command} --help)`, code: EXIT.USAGE };
  if (err instanceof ConfigError) return { message: err.message, code: EXIT.USAGE };
  if (err instanceof CommandError) return { message: err.message, code: EXIT.FAILED };
  return undefined;
}
