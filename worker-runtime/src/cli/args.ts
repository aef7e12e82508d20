/**
 * The one argument parser and error style of every `spot-worker` command. A command declares its
 * options as a table (name, type, range, help); `parseCommandArgs` reads them with Node's
 * `util.parseArgs`, checks numbers against their range, and throws a `UsageError` saying what to
 * change. The dispatcher (main.ts) turns the errors below into messages and exit codes, so no
 * command prints its own.
 */
import { parseArgs } from 'util';

/** Exit codes of every command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A wrong command line: printed with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command could not do its work for a reason the message states (no stack trace): exit 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

interface BaseOption {
  /** One line of help. */
  readonly help: string;
  readonly short?: string;
}
export interface BooleanOption extends BaseOption { readonly type: 'boolean' }
export interface StringOption extends BaseOption {
  readonly type: 'string';
  /** Placeholder in the help, e.g. `<dir>`. */
  readonly value: string;
}
export interface NumberOption extends BaseOption {
  /** `integer`: a whole number; `number`: any finite number. */
  readonly type: 'integer' | 'number';
  readonly value: string;
  /** Inclusive lower bound. @default 1 for integers; numbers must be > 0 */
  readonly min?: number;
  readonly max?: number;
}
export type OptionSpec = BooleanOption | StringOption | NumberOption;

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  readonly name: string;
  /** What the positionals are, e.g. `<files or folders...>`; none allowed when absent. */
  readonly positionals?: string;
  /** One line: what the command does. */
  readonly summary: string;
  readonly options: O;
  /** Extra paragraphs after the options in `--help`. */
  readonly notes?: string;
}

type ValueOf<S extends OptionSpec> = S extends BooleanOption ? boolean : S extends StringOption ? string : number;
export type ParsedValues<O extends Record<string, OptionSpec>> = { -readonly [K in keyof O]?: ValueOf<O[K]> };

export interface ParsedArgs<O extends Record<string, OptionSpec>> {
  readonly values: ParsedValues<O>;
  readonly positionals: string[];
  /** `--help` / `-h` was given: the dispatcher prints the help instead of running. */
  readonly help: boolean;
}

/** Parses `argv` for a command; throws UsageError with the option and what to write instead. */
export function parseCommandArgs<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>, argv: readonly string[]): ParsedArgs<O> {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) {
    options[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(describeParseError(err as Error & { code?: string }));
  }
  if (parsed.values.help) return { values: {}, positionals: [], help: true };
  if (!spec.positionals && parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    if (name === 'help') continue;
    const o = spec.options[name];
    values[name] = o.type === 'integer' || o.type === 'number' ? toNumber(name, o, raw as string) : raw;
  }
  return { values: values as ParsedValues<O>, positionals: parsed.positionals, help: false };
}

function toNumber(name: string, o: NumberOption, raw: string): number {
  const n = Number(raw);
  const whole = o.type === 'integer';
  const min = o.min ?? (whole ? 1 : undefined);
  const range = min !== undefined && o.max !== undefined ? ` from ${min} to ${o.max}` : min !== undefined ? ` ≥ ${min}` : ' > 0';
  const ok = raw.trim() !== '' && Number.isFinite(n) && (!whole || Number.isSafeInteger(n))
    && (min !== undefined ? n >= min : n > 0) && (o.max === undefined || n <= o.max);
  if (!ok) throw new UsageError(`--${name} ${raw}: expected ${whole ? 'a whole number' : 'a number'}${range}`);
  return n;
}

function describeParseError(err: Error & { code?: string }): string {
  const quoted = /'(-[^']*)'/.exec(err.message)?.[1] ?? '';
  const long = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': return `unexpected argument '${quoted}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message) ? `${long} needs a value` : `${long}: ${err.message}`;
    default: return err.message;
  }
}

/** `usage: spot-worker <name> ...` with every option, its placeholder and help. */
export function helpText(spec: CommandSpec<Record<string, OptionSpec>>): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'boolean' ? '' : ` ${o.value}`}`;
    return [flag, o.help] as const;
  });
  rows.push(['-h, --help', 'this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `usage: spot-worker ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''}${rows.length > 1 ? ' [options]' : ''}`,
    '',
    spec.summary,
    '',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    ...(spec.notes ? ['', spec.notes] : []),
    '',
  ].join('\n');
}

/** One line for `spot-worker --help`: the synopsis and the summary. */
export function synopsis(spec: CommandSpec<Record<string, OptionSpec>>): string {
  return `  spot-worker ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''}  ${spec.summary}`;
}
