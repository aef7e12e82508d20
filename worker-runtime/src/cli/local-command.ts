/**
 * `spot-worker local`: the whole pipeline on this machine (local bucket, durable queue with a
 * DLQ, a fleet of worker processes scaled by the construct's policy, Spot interruptions),
 * ending with a report and a chart. See docs/local-mode.md.
 */
import * as path from 'path';
import { runLocal, LocalRunOptions } from '../local-fleet/local-run';

export const usage = [
  '  spot-worker local --images <folder> [--out <dir>] [--max-workers N] [--interrupt-every S] [--watch]',
  '                                           run the whole pipeline locally (docs/local-mode.md); more: spot-worker local --help',
].join('\n');

const HELP = `usage: spot-worker local --images <folder> [options]

Uploads the images into a local bucket (a folder) whose writes raise S3-shaped events into a
durable local queue (with a DLQ); a fleet of worker processes, scaled by the construct's
backlog-per-instance policy on compressed time, converts them; prints and writes a report.

  --images <folder>          images to upload (sub-folders kept in the keys); watched with --watch
  --out <dir>                where the bucket, queue, logs, report and chart go (default local-run/<label>)
  --label <word>             first word of the last line (default local)
  --watch                    keep running; convert files dropped into --images until Ctrl-C
  --max-workers <n>          the group's maximum size (default 4)
  --concurrency <n>          jobs in flight per worker (default 1)
  --interrupt-every <s>      inject a Spot interruption notice into a random worker every s seconds
  --kill-every <s>           chaos: SIGKILL a random worker about every s seconds
  --seed <n>                 seed of the random choices (default 1)
  --time-scale <x>           time compression: 1 CloudWatch minute = 60/x seconds (default 60)
  --acceptable-latency <s>   the construct's acceptableLatency (default 300)
  --expected-processing-time <s>  the construct's expectedProcessingTime (default 10)
  --scale-to-zero-after <min>     CloudWatch minutes of empty queue before 0 workers (default 15)
  --visibility-timeout <s>   the local queue's visibility timeout, real seconds (default 30)
  --max-receive-count <n>    redrive to the DLQ after n receives (default 5)
  --timeout <s>              give up after s seconds (default 1800)
  --validate-decode          fully decode each JPEG (catches corruption inside the data)
  --handler-module <file>    a JS module exporting a Handler, instead of image → PDF
`;

const NUMBER_FLAGS: Record<string, keyof LocalRunOptions> = {
  '--max-workers': 'maxWorkers',
  '--concurrency': 'concurrency',
  '--interrupt-every': 'interruptEvery',
  '--kill-every': 'killEvery',
  '--seed': 'seed',
  '--time-scale': 'timeScale',
  '--acceptable-latency': 'acceptableLatencySeconds',
  '--expected-processing-time': 'expectedProcessingSeconds',
  '--scale-to-zero-after': 'scaleToZeroAfterMinutes',
  '--visibility-timeout': 'visibilityTimeoutSeconds',
  '--max-receive-count': 'maxReceiveCount',
  '--timeout': 'timeoutSeconds',
};
const INTEGER_FLAGS = new Set(['--max-workers', '--concurrency', '--seed', '--max-receive-count']);
const STRING_FLAGS: Record<string, 'images' | 'out' | 'label' | 'handlerModule'> = {
  '--images': 'images',
  '--out': 'out',
  '--label': 'label',
  '--handler-module': 'handlerModule',
};

export class UsageError extends Error {}

/** Parses the flags (`--flag value` or `--flag=value`); throws UsageError saying what to fix. */
export function parseLocalArgs(argv: string[]): LocalRunOptions {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const takeValue = (): string => {
      if (value !== undefined) return value;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      i++;
      return next;
    };
    if (flag === '--watch') {o.watch = true;} else if (flag === '--validate-decode') {o.validateDecode = true;} else if (flag in STRING_FLAGS) {o[STRING_FLAGS[flag]] = takeValue();} else if (flag in NUMBER_FLAGS) {
      const raw = takeValue();
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0 || (INTEGER_FLAGS.has(flag) && !Number.isInteger(n))) {
        throw new UsageError(`${flag} ${raw}: expected a positive ${INTEGER_FLAGS.has(flag) ? 'whole number' : 'number'}`);
      }
      o[NUMBER_FLAGS[flag]] = n;
    } else {throw new UsageError(`unknown option '${flag}' (see spot-worker local --help)`);}
  }
  if (!o.images && !o.watch) throw new UsageError('--images <folder> is required (or --watch with --images to watch it)');
  if (o.watch && !o.images) throw new UsageError('--watch needs --images <folder>: the folder to watch');
  if (typeof o.label === 'string' && !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(o.label)) throw new UsageError('--label must be one word of letters, digits, - or _');
  const label = (o.label as string | undefined) ?? 'local';
  if (!o.out) o.out = path.join('local-run', label);
  return { ...(o as object), label } as LocalRunOptions;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === '--worker-process') {
    // Hidden: a fleet worker when the CLI is a single-file bundle (see local-fleet/fleet.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runWorkerProcess } = require('../local-fleet/worker-process') as typeof import('../local-fleet/worker-process');
    return runWorkerProcess();
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let options: LocalRunOptions;
  try {
    options = parseLocalArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`spot-worker local: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    const { exitCode } = await runLocal(options);
    return exitCode;
  } catch (err) {
    process.stderr.write(`spot-worker local: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
