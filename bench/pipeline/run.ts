/**
 * `npx projen bench` part 2: the whole local pipeline (`spot-worker local`: local bucket, durable
 * queue, a fleet scaled from zero by the construct's policy) against convert-only throughput
 * (`spot-worker convert`) on the same images and the same cores; and the SQS requests each would
 * bill per 1000 images, next to a model of the public sample's loop. Rewrites the pipeline section
 * of docs/benchmarks.md and bench/out/pipeline.json.
 *
 *   tsx bench/pipeline/run.ts [--copies 60] [--worker-concurrency auto|N] [--storage-latency 80ms]
 *
 * With --storage-latency the pipeline runs a second time with that round trip added to every storage request
 * of a worker (local mode's LatencyObjectStore, a stand-in for S3's round trip), against the same
 * convert-only rate: the figure `pipeline_latency_injected_vs_convert` of bench/out/summary.json.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseLatency } from '../../worker-runtime/src/adapters/local/latency-object-store';
import { machineLine, table, writeSection } from '../report/doc-section';

const ROOT = path.join(__dirname, '..', '..');
// BENCH_CORPUS: the photos folder when the checkout is not beside ../shared (e.g. a git worktree).
const CORPUS = process.env.BENCH_CORPUS ?? path.join(ROOT, '..', 'shared', 'corpus', 'photos');
const OUT = path.join(ROOT, 'bench', 'out', 'pipeline');
const CLI = path.join(ROOT, 'worker-runtime', 'bin', 'spot-worker.js');

/** The sample's loop, per the figures: ReceiveMessage without long polling every 5 s when idle. */
const SAMPLE_POLL_SECONDS = 5;
/** The sample's SQS calls per image: its receive and its delete (its other ~5 calls per image go to S3 and the CLI). */
const SAMPLE_SQS_CALLS_PER_IMAGE = 2;

interface LocalReportSubset {
  readonly images: number;
  readonly pdfs: number;
  readonly processingSeconds: number;
  readonly imagesPerSecond: number;
  readonly utilisation: number;
  readonly peakWorkers: number;
  readonly sqsRequests: Record<string, number>;
  readonly sqsRequestsTotal: number;
  readonly deadLetterEntries: unknown[];
  readonly unaccounted: unknown[];
  readonly policy: { readonly concurrency: number | 'auto' };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** statfs `f_type` of tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/**
 * Where the runs write their outputs (several GB each): a RAM file system when one has room
 * (`/dev/shm`, or `BENCH_WORK_DIR`), else bench/out. On disk the kernel writes back one run's
 * gigabytes while the next is measured: convert-only ranged 567–1604 images/s there on
 * 2026-12-06, against 1296–1530 on /dev/shm. Convert-only and the pipeline always share it.
 */
function workRoot(bytesNeeded: number): { dir: string; ram: boolean } {
  const chosen = process.env.BENCH_WORK_DIR;
  if (chosen) return { dir: fs.mkdtempSync(path.join(chosen, 'bench-')), ram: fs.statfsSync(chosen).type === TMPFS_MAGIC };
  try {
    const st = fs.statfsSync('/dev/shm');
    if (st.type === TMPFS_MAGIC && st.bavail * st.bsize >= bytesNeeded) return { dir: fs.mkdtempSync('/dev/shm/spot-worker-bench-'), ram: true };
  } catch {
    // No /dev/shm (macOS): bench/out.
  }
  return { dir: fs.mkdtempSync(path.join(OUT, 'work-')), ram: false };
}

/** `copies` copies of the corpus in sub-folders (hard links when the file system allows). */
function prepareImages(copies: number): { dir: string; count: number; bytes: number } {
  const dir = path.join(OUT, 'images');
  fs.rmSync(dir, { recursive: true, force: true });
  const files = fs.readdirSync(CORPUS).filter((f) => /\.jpe?g$/i.test(f)).sort();
  let bytes = 0;
  for (let c = 1; c <= copies; c++) {
    const sub = path.join(dir, `copy${c}`);
    fs.mkdirSync(sub, { recursive: true });
    for (const f of files) {
      const src = path.join(CORPUS, f);
      try {
        fs.linkSync(src, path.join(sub, f));
      } catch {
        fs.copyFileSync(src, path.join(sub, f));
      }
      bytes += fs.statSync(src).size;
    }
  }
  return { dir, count: files.length * copies, bytes };
}

function runCli(args: string[]): { stdout: string; seconds: number } {
  const t0 = process.hrtime.bigint();
  const res = spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (res.status !== 0) throw new Error(`spot-worker ${args[0]} failed (${res.status}): ${res.stderr.slice(-2000)}`);
  return { stdout: res.stdout, seconds };
}

/** One line of a worker's JSON log, the fields read here. */
interface LogLine { readonly time: string; readonly msg: string }

/**
 * Images per second while the fleet was at full size, from the workers' own logs (millisecond
 * times; the run loop's samples are 0.3 s apart, a tenth of a short window): from the moment the
 * last of the peak workers logged `worker started` (its receive loop runs; a process's start-up
 * is left out, as convert-only's rate leaves out its own) to the last `object processed`,
 * counting the images processed in between. Its slow start and the last jobs' round trips stay in.
 */
export function fullFleetRate(outDir: string, peakWorkers: number): number | undefined {
  const logDir = path.join(outDir, 'logs');
  const starts: number[] = [];
  const done: number[] = [];
  for (const f of fs.readdirSync(logDir).filter((n) => n.endsWith('.log'))) {
    for (const text of fs.readFileSync(path.join(logDir, f), 'utf8').split('\n')) {
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as LogLine;
      if (line.msg === 'worker started') starts.push(Date.parse(line.time));
      else if (line.msg === 'object processed') done.push(Date.parse(line.time));
    }
  }
  starts.sort((a, b) => a - b);
  if (starts.length < peakWorkers || done.length === 0) return undefined;
  const from = starts[peakWorkers - 1];
  const to = Math.max(...done);
  const inWindow = done.filter((t) => t > from).length;
  return to > from ? inWindow / ((to - from) / 1000) : undefined;
}

export function main(): void {
  const copies = arg('copies', 60);
  // Jobs in flight per local worker process (spot-worker local --concurrency): adaptive unless given.
  const workerConcurrency = textArg('worker-concurrency') ?? 'auto';
  const latencyText = textArg('storage-latency');
  const latencyMs = latencyText === undefined ? undefined : parseLatency(latencyText);
  const cores = os.availableParallelism();
  fs.mkdirSync(OUT, { recursive: true });
  const images = prepareImages(copies);
  // A local run holds the uploads and the PDFs (each about the images' size) at once.
  const work = workRoot(images.bytes * 3);
  process.on('exit', () => fs.rmSync(work.dir, { recursive: true, force: true }));

  // Convert-only: the same handler over the same files, one job per core, no queue. The machine is
  // shared and a convert-only run lasts seconds, so one run can land in a quiet or a busy moment
  // (94 and 1011 images/s were both seen on 2026-12-02): it runs before, between and after the
  // pipeline runs, and both pipeline runs are compared with the median of the three.
  const convertOnly = (): number => {
    const convertOut = path.join(work.dir, 'convert-only');
    fs.rmSync(convertOut, { recursive: true, force: true });
    const conv = runCli(['convert', images.dir, '--out', convertOut, '--concurrency', String(cores)]);
    fs.rmSync(convertOut, { recursive: true, force: true });
    const m = /\(([\d.]+) images\/s\)/.exec(conv.stdout);
    return m ? Number(m[1]) : images.count / conv.seconds;
  };
  const convertRates: number[] = [convertOnly()];

  // The whole pipeline, one worker process per core at most.
  const runLocalPipeline = (label: string, extra: string[]): LocalReportSubset => {
    const runOut = path.join(work.dir, label);
    runCli(['local', '--images', images.dir, '--out', runOut, '--label', 'bench', '--max-workers', String(cores),
      '--concurrency', workerConcurrency, '--timeout', '600', ...extra]);
    // Kept in bench/out: the report, its chart and the workers' logs (not the bucket and the queue).
    const localOut = path.join(OUT, label);
    fs.rmSync(localOut, { recursive: true, force: true });
    fs.mkdirSync(localOut, { recursive: true });
    for (const f of ['report.json', 'report.md', 'chart.svg', 'logs']) fs.cpSync(path.join(runOut, f), path.join(localOut, f), { recursive: true });
    fs.rmSync(runOut, { recursive: true, force: true });
    return JSON.parse(fs.readFileSync(path.join(localOut, 'report.json'), 'utf8'));
  };
  const r = runLocalPipeline('local', []);
  convertRates.push(convertOnly());
  const steady = fullFleetRate(path.join(OUT, 'local'), r.peakWorkers);
  const withLatency = latencyMs === undefined ? undefined : runLocalPipeline('local-latency', ['--storage-latency', `${latencyMs}ms`]);
  if (withLatency) convertRates.push(convertOnly());
  const convertRate = [...convertRates].sort((a, b) => a - b)[Math.floor((convertRates.length - 1) / 2)];
  const latencyConvertRate = convertRate;
  const latencySteady = withLatency ? fullFleetRate(path.join(OUT, 'local-latency'), withLatency.peakWorkers) : undefined;

  const producer = r.sqsRequests.SendMessage ?? 0;
  const consumer = r.sqsRequestsTotal - producer;
  const per1000 = (n: number): number => (n / r.images) * 1000;
  // The sample at the same volume: 2 SQS calls per image, plus an idle poll every 5 s per instance
  // for the rest of the day (it never scales below one instance).
  const idlePollsPerInstanceDay = (24 * 3600) / SAMPLE_POLL_SECONDS;
  const sampleFloor = SAMPLE_SQS_CALLS_PER_IMAGE * 1000;
  const samplePerDay = (imagesPerDay: number): number => sampleFloor + (idlePollsPerInstanceDay / imagesPerDay) * 1000;
  const oursPer1000 = per1000(consumer);

  const result = {
    date: new Date().toISOString(),
    machine: machineLine(),
    cores,
    images: images.count,
    megabytes: images.bytes / 1e6,
    convertOnlyImagesPerSecond: convertRate,
    convertOnlyRuns: convertRates,
    outputsOnRam: work.ram,
    local: { ...r, timeline: undefined },
    steadyImagesPerSecond: steady,
    endToEndRatio: r.imagesPerSecond / convertRate,
    steadyRatio: steady !== undefined ? steady / convertRate : undefined,
    // Per worker process: a short run may end before the fleet reaches its maximum, so the full-fleet
    // rate is also compared per worker process against convert-only per core (one process per core at most).
    perWorkerRatio: steady !== undefined ? (steady / r.peakWorkers) / (convertRate / cores) : undefined,
    storageLatency: withLatency ? {
      latencyMs,
      imagesPerSecond: withLatency.imagesPerSecond,
      steadyImagesPerSecond: latencySteady,
      convertOnlyImagesPerSecond: latencyConvertRate,
      endToEndRatio: withLatency.imagesPerSecond / latencyConvertRate,
      steadyRatio: latencySteady !== undefined ? latencySteady / latencyConvertRate : undefined,
      peakWorkers: withLatency.peakWorkers,
      pdfs: withLatency.pdfs,
      deadLettered: withLatency.deadLetterEntries.length,
      lost: withLatency.unaccounted.length,
      consumerSqsPer1000: ((withLatency.sqsRequestsTotal - (withLatency.sqsRequests.SendMessage ?? 0)) / withLatency.images) * 1000,
    } : undefined,
    sqs: {
      consumerPer1000: oursPer1000,
      producerPer1000: per1000(producer),
      samplePer1000AtThisVolume: samplePerDay(images.count),
      sampleFloorPer1000: sampleFloor,
    },
  };
  fs.writeFileSync(path.join(ROOT, 'bench', 'out', 'pipeline.json'), JSON.stringify(result, null, 1));

  const ok = (b: boolean): string => (b ? 'met' : 'NOT met');
  const content = [
    `Run ${result.date} on ${result.machine}; ${images.count} images (${copies} copies of ../shared/corpus/photos, ${result.megabytes.toFixed(0)} MB), ${cores} cores, one run each; outputs (both sides) ${work.ram ? 'on a RAM file system (/dev/shm)' : 'on disk'}. Load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    table(['measurement', 'value'], [
      [`convert-only: \`spot-worker convert --concurrency ${cores}\`, run before, between and after the pipeline runs`, `${convertRates.map((x) => x.toFixed(1)).join(', ')} images/s (the pipeline runs are compared with the median, ${convertRate.toFixed(1)})`],
      [`local pipeline end to end (from the first upload, fleet starting at 0, max ${cores} workers × concurrency ${workerConcurrency})`, `${r.imagesPerSecond.toFixed(1)} images/s`],
      [`local pipeline at full fleet (from the moment the peak's last worker started to the last image, per the workers' logs; peak ${r.peakWorkers} worker(s) × concurrency ${r.policy.concurrency})`, steady !== undefined ? `${steady.toFixed(1)} images/s` : '—'],
      ...(withLatency ? [
        [`the same with ${latencyMs} ms of round trip on every storage request (\`--storage-latency\`), end to end`, `${withLatency.imagesPerSecond.toFixed(1)} images/s`],
        [`the same with ${latencyMs} ms storage latency, at full fleet (peak ${withLatency.peakWorkers} worker(s))`, latencySteady !== undefined ? `${latencySteady.toFixed(1)} images/s` : '—'],
        [`PDFs / DLQ / lost with ${latencyMs} ms storage latency`, `${withLatency.pdfs} / ${withLatency.deadLetterEntries.length} / ${withLatency.unaccounted.length}`],
      ] : []),
      ['fleet utilisation during the run', `${(r.utilisation * 100).toFixed(0)} %`],
      ['PDFs / DLQ / lost', `${r.pdfs} / ${r.deadLetterEntries.length} / ${r.unaccounted.length}`],
      ['SQS requests by action (local run)', Object.entries(r.sqsRequests).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['our consumer SQS requests per 1000 images (receives incl. empty polls, deletes, visibility, DLQ)', oursPer1000.toFixed(0)],
      ['S3 → SQS notifications per 1000 images (the same for the sample)', per1000(producer).toFixed(0)],
      [`the sample per 1000 images: ${SAMPLE_SQS_CALLS_PER_IMAGE} calls per image + ${idlePollsPerInstanceDay} idle polls per instance-day`, `≥ ${sampleFloor} (${samplePerDay(images.count).toFixed(0)} if these ${images.count} images were a day's volume)`],
    ]),
    '',
    `- Pipeline ÷ convert-only: **${(result.endToEndRatio * 100).toFixed(0)} %** end to end, **${result.steadyRatio !== undefined ? (result.steadyRatio * 100).toFixed(0) : '—'} %** at full fleet (goal ≥ 80 %) → **${ok((result.steadyRatio ?? 0) >= 0.8)}**`,
    ...(withLatency ? [`- With ${latencyMs} ms per storage request, pipeline at full fleet ÷ convert-only: **${result.storageLatency?.steadyRatio !== undefined ? (result.storageLatency.steadyRatio * 100).toFixed(0) : '—'} %** (goal ≥ 80 %) → **${ok((result.storageLatency?.steadyRatio ?? 0) >= 0.8)}**`] : []),
    `- Per worker process (full-fleet rate ÷ ${r.peakWorkers} worker(s) against convert-only ÷ ${cores} cores): **${result.perWorkerRatio !== undefined ? (result.perWorkerRatio * 100).toFixed(0) : '—'} %**`,
    `- Consumer SQS requests per 1000 images: **${oursPer1000.toFixed(0)}** (goal ≤ 250, the sample ≥ ${sampleFloor}) → **${ok(oursPer1000 <= 250)}**`,
  ].join('\n');
  writeSection('pipeline', content);
  console.log(content);
}

if (require.main === module) main();
