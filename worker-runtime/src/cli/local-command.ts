/**
 * `spot-worker local`: the whole pipeline on this machine (local bucket, durable queue with a
 * DLQ, a fleet of worker processes scaled by the construct's policy, Spot interruptions),
 * ending with a report and a chart. See docs/local-mode.md.
 */
import * as path from 'path';
import { CommandSpec, ParsedArgs, UsageError } from './args';
import { parseLatency } from '../adapters/local/latency-object-store';
import type { LocalRunOptions } from '../local-fleet/local-run';

export const spec = {
  name: 'local',
  summary: 'run the whole pipeline on this machine (docs/local-mode.md)',
  options: {
    'images': { type: 'string', value: '<folder>', help: 'images to upload (sub-folders kept in the keys); watched with --watch' },
    'out': { type: 'string', value: '<dir>', help: 'where the bucket, queue, logs, report and chart go (default local-run/<label>)' },
    'label': { type: 'string', value: '<word>', help: 'first word of the last line (default local)' },
    'watch': { type: 'boolean', help: 'keep running; convert files dropped into --images until Ctrl-C' },
    'max-workers': { type: 'integer', value: '<n>', max: 256, help: "the group's maximum size (default 4)" },
    'concurrency': { type: 'string', value: '<n|auto>', help: 'jobs in flight per worker: a number (1-256) or auto, adaptive (default auto)' },
    'storage-latency': { type: 'string', value: '<ms>', help: 'add a round trip to each storage request, as S3 would: a GET is read after it, a PUT answered after it (e.g. 80ms, 0.08s; default 0)' },
    'copies': { type: 'integer', value: '<n>', max: 1000, help: 'upload each image n times (under copy-<i>/), for a backlog to scale on (default 1)' },
    'interrupt-every': { type: 'number', value: '<s>', help: 'a Spot notice to a random worker every s seconds while there is work (every 4s when idle)' },
    'kill-every': { type: 'number', value: '<s>', help: 'chaos: SIGKILL a random worker about every s seconds' },
    'seed': { type: 'integer', value: '<n>', help: 'seed of the random choices (default 1)' },
    'time-scale': { type: 'number', value: '<x>', help: 'time compression: 1 CloudWatch minute = 60/x seconds (default 60)' },
    'acceptable-latency': { type: 'number', value: '<s>', help: "the construct's acceptableLatency (default 300)" },
    'expected-processing-time': { type: 'number', value: '<s>', help: "the construct's expectedProcessingTime (default 10)" },
    'scale-to-zero-after': { type: 'number', value: '<min>', help: 'CloudWatch minutes of empty queue before 0 workers (default 15)' },
    'visibility-timeout': { type: 'number', value: '<s>', help: "the local queue's visibility timeout, real seconds (default 30)" },
    'max-receive-count': { type: 'integer', value: '<n>', help: 'redrive to the DLQ after n receives (default 5)' },
    'timeout': { type: 'number', value: '<s>', help: 'give up after s seconds (default 1800)' },
    'validate-decode': { type: 'boolean', help: 'fully decode each JPEG (catches corruption inside the data)' },
    'handler-module': { type: 'string', value: '<file>', help: 'a JS module exporting a Handler, instead of image -> PDF' },
  },
  notes: 'Uploads the images into a local bucket (a folder) whose writes raise S3-shaped events into a durable\n'
    + "local queue (with a DLQ); a fleet of worker processes, scaled by the construct's backlog-per-instance\n"
    + 'policy on compressed time, converts them; prints and writes a report and a chart.',
} as const satisfies CommandSpec<Record<string, import('./args').OptionSpec>>;

function concurrencyOption(raw: string | undefined): number | 'auto' | undefined {
  if (raw === undefined || raw === 'auto') return raw;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--concurrency ${raw}: expected a whole number from 1 to 256, or auto`);
  return n;
}

function latencyOption(raw: string): number {
  try {
    return parseLatency(raw);
  } catch (err) {
    throw new UsageError(`--storage-latency: ${(err as Error).message}`);
  }
}

/** The run's options from the parsed flags; throws UsageError saying what to fix. */
export function localRunOptions({ values: v }: ParsedArgs<typeof spec.options>): LocalRunOptions {
  if (!v.images) throw new UsageError(v.watch ? '--watch needs --images <folder>: the folder to watch' : '--images <folder> is required');
  if (v.label !== undefined && !/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(v.label)) throw new UsageError('--label must be one word of letters, digits, - or _');
  const label = v.label ?? 'local';
  return {
    images: v.images,
    out: v.out ?? path.join('local-run', label),
    label,
    watch: v.watch,
    maxWorkers: v['max-workers'],
    concurrency: concurrencyOption(v.concurrency),
    storageLatencyMs: v['storage-latency'] === undefined ? undefined : latencyOption(v['storage-latency']),
    interruptEvery: v['interrupt-every'],
    copies: v.copies,
    killEvery: v['kill-every'],
    seed: v.seed,
    timeScale: v['time-scale'],
    acceptableLatencySeconds: v['acceptable-latency'],
    expectedProcessingSeconds: v['expected-processing-time'],
    scaleToZeroAfterMinutes: v['scale-to-zero-after'],
    visibilityTimeoutSeconds: v['visibility-timeout'],
    maxReceiveCount: v['max-receive-count'],
    timeoutSeconds: v.timeout,
    validateDecode: v['validate-decode'],
    handlerModule: v['handler-module'],
  };
}

export async function run(args: ParsedArgs<typeof spec.options>): Promise<number> {
  const options = localRunOptions(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runLocal } = require('../local-fleet/local-run') as typeof import('../local-fleet/local-run');
  const { exitCode } = await runLocal(options);
  return exitCode;
}

export const internal = {
  // A fleet worker when the CLI is a single-file bundle (see local-fleet/fleet.ts).
  '--worker-process': async (): Promise<number> => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runWorkerProcess } = require('../local-fleet/worker-process') as typeof import('../local-fleet/worker-process');
    return runWorkerProcess();
  },
};
