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
  readonly timeline: Array<{ t: number; workers: number; finished: number }>;
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

/**
 * Images per second while the fleet was at full size: from the first sample with the peak worker
 * count and a finished image (a worker process's start-up is left out, as convert-only's rate
 * leaves out its own) to the last image.
 */
function steadyRate(r: LocalReportSubset): number | undefined {
  const first = r.timeline.find((s) => s.workers === r.peakWorkers && s.finished > 0);
  const last = r.timeline.find((s) => s.finished >= r.images);
  if (!first || !last || last.t <= first.t) return undefined;
  return (last.finished - first.finished) / (last.t - first.t);
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

  // Convert-only: the same handler over the same files, one job per core, no queue. The machine is
  // shared and a convert-only run lasts seconds, so one run can land in a quiet or a busy moment
  // (94 and 1011 images/s were both seen on 2026-12-02): it runs before, between and after the
  // pipeline runs, and both pipeline runs are compared with the median of the three.
  const convertOnly = (): number => {
    const convertOut = path.join(OUT, 'convert-only');
    fs.rmSync(convertOut, { recursive: true, force: true });
    const conv = runCli(['convert', images.dir, '--out', convertOut, '--concurrency', String(cores)]);
    const m = /\(([\d.]+) images\/s\)/.exec(conv.stdout);
    return m ? Number(m[1]) : images.count / conv.seconds;
  };
  const convertRates: number[] = [convertOnly()];

  // The whole pipeline, one worker process per core at most.
  const runLocalPipeline = (label: string, extra: string[]): LocalReportSubset => {
    const localOut = path.join(OUT, label);
    fs.rmSync(localOut, { recursive: true, force: true });
    runCli(['local', '--images', images.dir, '--out', localOut, '--label', 'bench', '--max-workers', String(cores),
      '--concurrency', workerConcurrency, '--timeout', '600', ...extra]);
    return JSON.parse(fs.readFileSync(path.join(localOut, 'report.json'), 'utf8'));
  };
  const r = runLocalPipeline('local', []);
  convertRates.push(convertOnly());
  const steady = steadyRate(r);
  const withLatency = latencyMs === undefined ? undefined : runLocalPipeline('local-latency', ['--storage-latency', `${latencyMs}ms`]);
  if (withLatency) convertRates.push(convertOnly());
  const convertRate = [...convertRates].sort((a, b) => a - b)[Math.floor((convertRates.length - 1) / 2)];
  const latencyConvertRate = convertRate;
  const latencySteady = withLatency ? steadyRate(withLatency) : undefined;

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
    `Run ${result.date} on ${result.machine}; ${images.count} images (${copies} copies of ../shared/corpus/photos, ${result.megabytes.toFixed(0)} MB), ${cores} cores, one run each. Load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    table(['measurement', 'value'], [
      [`convert-only: \`spot-worker convert --concurrency ${cores}\`, run before, between and after the pipeline runs`, `${convertRates.map((x) => x.toFixed(1)).join(', ')} images/s (the pipeline runs are compared with the median, ${convertRate.toFixed(1)})`],
      [`local pipeline end to end (from the first upload, fleet starting at 0, max ${cores} workers × concurrency ${workerConcurrency})`, `${r.imagesPerSecond.toFixed(1)} images/s`],
      [`local pipeline at full fleet (peak workers until the last image; peak ${r.peakWorkers} worker(s) × concurrency ${r.policy.concurrency})`, steady !== undefined ? `${steady.toFixed(1)} images/s` : '—'],
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
