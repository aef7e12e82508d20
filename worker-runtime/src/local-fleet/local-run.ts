/**
 * A whole local run: the bucket (a folder) receives the images and raises S3-shaped events into
 * the file queue; the fleet of worker processes is scaled by the construct's policy replayed on
 * compressed time; Spot interruptions (and, for chaos tests, SIGKILLs) are injected; at the end
 * the report and chart are written. Returns the report and the exit code.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { renderChart, TimelineSample } from './chart';
import { defaultWorkerEntry, FleetWorker, LocalFleet, WorkerEntry } from './fleet';
import { ProgressDisplay } from './progress';
import { DeadLetterEntry, LocalReport, renderMarkdown, ScalingEvent, summaryLine, utilisationText } from './report';
import { backlogPerInstanceTarget, evaluate, fleetScalingPlan, initialScalerState } from './scaler';
import { UploadWake } from './upload-wake';
import { localWorkerEnv, LocalWorkerConfig, runLayout } from './worker-config';
import { FileQueue, QueueAction } from '../adapters/local/file-queue';
import { DEFAULT_SUFFIXES, LocalBucket } from '../adapters/local/local-bucket';
import { FailureKind } from '../contract/failure-kinds';
import { Metrics } from '../contract/runtime-metrics';
import { FLEET_SCALING_DEFAULTS } from '../contract/scaling-plan';
import { ConfigError } from '../core/errors';
import { KeyMapper } from '../core/key-mapping';
import { parseS3Event } from '../core/s3-event';
import { seededRandom } from '../util/seeded-random';
import { sleep } from '../util/sleep';
import { walkFiles } from '../util/walk-files';

export interface LocalRunOptions {
  /** Folder of images to upload; with `watch`, also watched for new files. */
  readonly images?: string;
  readonly out: string;
  /** First word of the last line: `demo` or `local`. @default 'local' */
  readonly label?: string;
  /** @default 4 */
  readonly maxWorkers?: number;
  /** Jobs in flight per worker. @default 1 */
  readonly concurrency?: number | 'auto';
  /** Round trip added to each storage request of a worker (a stand-in for S3's latency), ms. @default 0 */
  readonly storageLatencyMs?: number;
  /**
   * Messages each worker receives ahead of a free slot (`SPOT_WORKER_PREFETCH`; docs/runtime.md:
   * lower it for slow handlers). @default `spot-worker run`'s default (10)
   */
  readonly prefetch?: number;
  /**
   * Seconds between injected Spot interruption notices while the queue holds work (to a random
   * in-service worker); while it is empty, one every 4 × this (labelled idle). @default none
   */
  readonly interruptEvery?: number;
  /** Upload each image this many times (under copy-<n>/), to give the fleet a backlog to scale on. @default 1 */
  readonly copies?: number;
  /** Chaos: seconds between SIGKILLs of a random worker. @default none */
  readonly killEvery?: number;
  /** Seed of the random choices (which worker, jitter). @default 1 */
  readonly seed?: number;
  readonly watch?: boolean;
  /** Time compression: 1 CloudWatch minute = 60 / timeScale local seconds. @default 60 */
  readonly timeScale?: number;
  /** The construct's props, in seconds. @default 300 and 10 */
  readonly acceptableLatencySeconds?: number;
  readonly expectedProcessingSeconds?: number;
  /** In CloudWatch minutes (compressed). @default 15 */
  readonly scaleToZeroAfterMinutes?: number;
  /** Real seconds. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** Gives up (exit 1) after this many seconds without finishing. @default 1800 */
  readonly timeoutSeconds?: number;
  readonly validateDecode?: boolean;
  /** A JS module exporting a Handler (instead of image → PDF). */
  readonly handlerModule?: string;
  /** @default process.stdout */
  readonly stdout?: NodeJS.WritableStream;
  /** @default stdout.isTTY */
  readonly tty?: boolean;
  /** Ends a watch (tests); SIGINT/SIGTERM do the same from a terminal. */
  readonly signal?: AbortSignal;
  /** @default the compiled worker-process module next to this one */
  readonly workerEntry?: WorkerEntry;
}

export interface LocalRunResult {
  readonly report: LocalReport;
  readonly exitCode: number;
}

const BUCKET = 'local-bucket';
const INPUT_PREFIX = 'uploads/';
const OUTPUT_PREFIX = 'processed/';
const MARKER = '.spot-worker-local-run';

const KEYS = new KeyMapper({ inputPrefix: INPUT_PREFIX, outputPrefix: OUTPUT_PREFIX });

/**
 * The output stems present: an output `<stem>.<extension>` (the extension the handler chose, `.pdf`
 * by default) stands for every stem it can end, so each input is then one lookup.
 */
function outputStems(outputs: readonly string[]): Set<string> {
  const stems = new Set<string>();
  for (const o of outputs) {
    const name = o.lastIndexOf('/') + 1;
    for (let dot = o.indexOf('.', name); dot >= 0 && dot < o.length - 1; dot = o.indexOf('.', dot + 1)) stems.add(o.slice(0, dot));
  }
  return stems;
}

/** Whether an input has its output: the run loop's output key with any extension. */
function hasOutput(stems: ReadonlySet<string>, inputKey: string): boolean {
  const stem = KEYS.outputKey(inputKey, '');
  return stem !== undefined && stems.has(stem);
}

/** The source key of a dead-lettered event, read by the run loop's own parser. */
function eventSourceKey(body: string): string {
  try {
    return parseS3Event(body).records[0]?.key ?? '(event without records)';
  } catch {
    return '(unparseable event)';
  }
}

/** Refuses to write into a folder that is not empty and not a previous local run; clears a previous run. */
async function prepareOut(out: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await fsp.readdir(out);
  } catch {
    entries = [];
  }
  if (entries.length > 0 && !entries.includes(MARKER)) {
    throw new ConfigError(`--out ${out} is not empty and not a previous local run: choose a new or empty folder`);
  }
  for (const e of ['bucket', 'state', 'logs', 'report.json', 'report.md', 'chart.svg']) {
    await fsp.rm(path.join(out, e), { recursive: true, force: true });
  }
  await fsp.mkdir(out, { recursive: true });
  await fsp.writeFile(path.join(out, MARKER), 'created by spot-worker local; the folder is cleared on the next run\n');
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const label = options.label ?? 'local';
  const stdout = options.stdout ?? process.stdout;
  const maxWorkers = options.maxWorkers ?? 4;
  const concurrency = options.concurrency ?? 'auto';
  const storageLatencyMs = options.storageLatencyMs ?? 0;
  const timeScale = options.timeScale ?? 60;
  const minuteMs = 60_000 / timeScale;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const timeoutMs = (options.timeoutSeconds ?? 1800) * 1000;
  const random = seededRandom(options.seed ?? 1);
  const copies = options.copies ?? 1;
  // The construct's plan with its defaults, sized for local workers.
  const planInputs = {
    ...FLEET_SCALING_DEFAULTS,
    acceptableLatencySeconds: options.acceptableLatencySeconds ?? FLEET_SCALING_DEFAULTS.acceptableLatencySeconds,
    expectedProcessingSeconds: options.expectedProcessingSeconds ?? FLEET_SCALING_DEFAULTS.expectedProcessingSeconds,
    minCapacity: 0,
    maxCapacity: maxWorkers,
    scaleToZeroAfterMinutes: options.scaleToZeroAfterMinutes ?? FLEET_SCALING_DEFAULTS.scaleToZeroAfterMinutes,
    // A local worker is in service as soon as its process starts (about a second): no instance warm-up.
    instanceWarmupSeconds: 0,
  };
  const target = backlogPerInstanceTarget(planInputs.acceptableLatencySeconds, planInputs.expectedProcessingSeconds);
  const policy = fleetScalingPlan(planInputs);
  const warmupMs = (policy.warmupSeconds * 1000) / timeScale;
  if (!options.images && !options.watch) throw new ConfigError('give --images <folder> (and/or --watch)');
  const imagesDir = options.images ? path.resolve(options.images) : undefined;
  if (imagesDir && !options.watch) {
    const st = await fsp.stat(imagesDir).catch(() => undefined);
    if (!st?.isDirectory()) throw new ConfigError(`--images ${options.images} is not a folder`);
  }
  if (imagesDir && options.watch) await fsp.mkdir(imagesDir, { recursive: true });

  const layout = runLayout(options.out);
  await prepareOut(layout.out);
  const requests: Partial<Record<QueueAction, number>> = {};
  const addRequests = (counts: Partial<Record<QueueAction, number>>): void => {
    for (const [a, n] of Object.entries(counts) as Array<[QueueAction, number]>) {
      if (a !== 'GetQueueAttributes') requests[a] = (requests[a] ?? 0) + n;
    }
  };
  const dlq = await new FileQueue({ dir: layout.deadLetterDir }).init();
  // S3's SendMessage calls are billed to the queue owner: count them.
  const eventQueue = await new FileQueue({ dir: layout.queueDir, deadLetterQueue: dlq, onRequest: (a) => addRequests({ [a]: 1 }) }).init();
  const statsQueue = new FileQueue({ dir: layout.queueDir });
  const bucket = await new LocalBucket({
    name: BUCKET,
    root: layout.bucketRoot,
    stateDir: layout.bucketStateDir,
    notification: { target: eventQueue, prefix: INPUT_PREFIX, suffixes: DEFAULT_SUFFIXES },
  }).init();

  const workerConfig: LocalWorkerConfig = {
    queueDir: layout.queueDir,
    deadLetterDir: layout.deadLetterDir,
    bucketName: BUCKET,
    bucketRoot: layout.bucketRoot,
    bucketStateDir: layout.bucketStateDir,
    visibilityTimeoutSeconds,
    maxReceiveCount,
    timeScale,
    storageLatencyMs,
  };
  const fleet = new LocalFleet({
    entry: options.workerEntry ?? defaultWorkerEntry(),
    env: localWorkerEnv(process.env, {
      inputPrefix: INPUT_PREFIX,
      outputPrefix: OUTPUT_PREFIX,
      concurrency,
      prefetch: options.prefetch,
      validateDecode: options.validateDecode ?? false,
      handlerModule: options.handlerModule ? path.resolve(options.handlerModule) : undefined,
      logLevel: 'info',
    }, workerConfig),
    logDir: layout.logDir,
  });
  let busySeconds = 0;
  let released = 0;
  fleet.on('event', (w, e) => {
    if (e.type === 'leave') leave(w, e.decrementDesiredCapacity);
    if (e.type === 'released') released++;
    if (e.type === 'requests') addRequests(e.counts);
    if (e.type === 'metrics') for (const d of e.data) if (d.name === Metrics.BUSY_TIME) busySeconds += d.value;
  });

  const progress = new ProgressDisplay({ label, stream: stdout, tty: options.tty });
  const wake = new UploadWake();
  const fed = new Set<string>();
  const skipped: string[] = [];
  const seen = new Map<string, string>();
  const feed = async (): Promise<void> => {
    if (!imagesDir) return;
    for (const f of await walkFiles(imagesDir, { skipHidden: true })) {
      const sig = `${f.size}:${f.mtimeMs}`;
      if (seen.get(f.rel) === sig) continue;
      if (options.watch && seen.get(`pending:${f.rel}`) !== sig) {
        // Wait until a dropped file stops changing (one poll with the same size and time).
        seen.set(`pending:${f.rel}`, sig);
        continue;
      }
      seen.set(f.rel, sig);
      if (!DEFAULT_SUFFIXES.some((s) => f.rel.endsWith(s))) {
        if (!skipped.includes(f.rel)) skipped.push(f.rel);
        continue;
      }
      const body = await fsp.readFile(f.path);
      for (let copy = 1; copy <= copies; copy++) {
        const key = INPUT_PREFIX + (copies > 1 ? `copy-${copy}/` : '') + f.rel;
        await bucket.putObject(BUCKET, key, body, { contentType: 'image/jpeg', metadata: {} });
        fed.add(key);
        wake.noteUpload();
      }
    }
  };

  const start = Date.now();
  const elapsed = (): number => (Date.now() - start) / 1000;
  await feed();
  if (imagesDir && !options.watch) {
    progress.note(`uploaded ${fed.size} image(s)${copies > 1 ? ` (${copies} copies of each)` : ''} to the local bucket; the queue holds their S3 events`
      + ` · scaling target ${target} messages per worker, max ${maxWorkers} workers, 1 CloudWatch minute = ${(minuteMs / 1000).toFixed(1)} s`);
  }
  if (options.watch) progress.note(`watching ${imagesDir ?? '(nothing)'}: drop images there; Ctrl-C ends the run`);

  let stopRequested = false;
  const onSignal = (): void => { stopRequested = true; };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal, { once: true });

  let state = initialScalerState(policy);
  const scalingEvents: ScalingEvent[] = [];
  // A worker's TerminateInstanceInAutoScalingGroup: with a decrement (idle self-release) the desired
  // count goes down with it, never below the minimum (AWS refuses that call; here the worker stays).
  function leave(w: FleetWorker, decrement: boolean): void {
    if (w.state !== 'in-service') return;
    if (decrement) {
      if (state.desired <= policy.minCapacity) return;
      scalingEvents.push({ t: elapsed(), from: state.desired, to: state.desired - 1, reason: 'idle-release' });
      progress.note(`desired capacity ${state.desired} → ${state.desired - 1} (worker ${w.id} idle with the queue empty: it released itself)`);
      state = { ...state, desired: state.desired - 1 };
    }
    fleet.leave(w, decrement, Date.now() + 5 * minuteMs);
  }
  const samples: TimelineSample[] = [];
  const interruptionTimes: number[] = [];
  /** Notices sent while the queue was empty (nothing to drain): marked apart in the chart. */
  const idleInterruptionTimes: number[] = [];
  let waitingForZeroSince: number | undefined;
  const spotDeadlines = new Map<FleetWorker, number>();
  let interruptionsInjected = 0;
  let workersKilled = 0;
  let peakWorkers = 0;
  let nextMinute = Date.now() + minuteMs;
  let nextInterrupt = options.interruptEvery ? Date.now() + options.interruptEvery * 1000 : Infinity;
  let nextIdleInterrupt = 0;
  const killGap = (): number => (options.killEvery ?? 0) * 1000 * (0.5 + random());
  let nextKill = options.killEvery ? Date.now() + killGap() : Infinity;
  let nextFeed = Date.now() + 500;
  let nextSample = 0;
  let stats = { visible: 0, inFlight: 0 };
  let timedOut = false;
  let finished = 0;
  let lastFinishedAt = 0;

  const countFinished = async (): Promise<{ pdfs: number; dead: number }> => {
    const outputs = outputStems(await bucket.list(OUTPUT_PREFIX));
    let pdfs = 0;
    for (const k of fed) if (hasOutput(outputs, k)) pdfs++;
    const dead = (await dlq.list()).length;
    return { pdfs, dead };
  };

  for (;;) {
    const now = Date.now();
    // Scanning the queue and the bucket costs O(messages); 4 times a second is plenty.
    if (now >= nextSample) {
      stats = await statsQueue.stats();
      const c = await countFinished();
      if (c.pdfs + c.dead > finished) lastFinishedAt = elapsed();
      finished = c.pdfs + c.dead;
      samples.push({ t: elapsed(), visible: stats.visible, inFlight: stats.inFlight, workers: fleet.live().length, finished });
      progress.update({
        images: fed.size,
        pdfs: c.pdfs,
        deadLettered: c.dead,
        backlog: stats.visible + stats.inFlight,
        workers: fleet.live().length,
        interruptions: interruptionsInjected,
        elapsedSeconds: elapsed(),
      });
      nextSample = now + 250;
    }

    // One CloudWatch datapoint per compressed minute, evaluated by the construct's policy.
    if (now >= nextMinute) {
      nextMinute += minuteMs;
      const warming = fleet.live().some((w) => now - w.startedAt < warmupMs);
      const decision = evaluate(policy, state, { visible: stats.visible, inFlight: stats.inFlight, inService: fleet.inService().length }, warming);
      if (decision.state.desired !== state.desired) {
        scalingEvents.push({ t: elapsed(), from: state.desired, to: decision.state.desired, reason: decision.reason });
        progress.note(`desired capacity ${state.desired} → ${decision.state.desired} (${decision.reason}; backlog ${stats.visible} visible, ${stats.inFlight} in flight)`);
      }
      state = decision.state;
    }

    // The upload wake: a fleet at zero gets its first worker on the upload's event, not on a metric.
    const woken = wake.apply(state.desired, policy.maxCapacity);
    if (woken !== state.desired) {
      scalingEvents.push({ t: elapsed(), from: state.desired, to: woken, reason: 'upload-wake' });
      progress.note(`desired capacity ${state.desired} → ${woken} (upload wake: an upload into a fleet at zero)`);
      state = { ...state, desired: woken };
    }

    // Spot notices while there is work to drain; while the queue is empty, a few (labelled idle).
    const busy = stats.visible + stats.inFlight > 0;
    if (now >= nextInterrupt) {
      const candidates = fleet.inService();
      if (candidates.length > 0 && (busy || now >= nextIdleInterrupt)) {
        const w = candidates[Math.floor(random() * candidates.length)];
        const deadline = now + 2 * minuteMs; // the two-minute Spot warning, compressed
        fleet.interrupt(w, deadline);
        spotDeadlines.set(w, deadline);
        interruptionsInjected++;
        (busy ? interruptionTimes : idleInterruptionTimes).push(elapsed());
        progress.note(busy
          ? `Spot interruption notice to worker ${w.id} while the queue holds ${stats.visible + stats.inFlight} message(s): it drains within ${(2 * minuteMs / 1000).toFixed(1)} s, handing back what it cannot finish`
          : `Spot interruption notice to worker ${w.id}, idle (queue empty: nothing to drain)`);
        nextInterrupt = now + options.interruptEvery! * 1000;
        if (!busy) nextIdleInterrupt = now + 4 * options.interruptEvery! * 1000;
      }
    }
    // Say why workers stay up after the last image: the scale-to-zero rule waits for an empty queue.
    if (!busy && finished >= fed.size && fed.size > 0 && fleet.live().length > 0 && state.desired > 0 && !options.watch) {
      if (waitingForZeroSince === undefined) {
        waitingForZeroSince = elapsed();
        progress.note('queue empty: each idle worker releases itself (idleReleaseAfter); the scale-to-zero rule, after'
          + ` ${planInputs.scaleToZeroAfterMinutes} CloudWatch minutes without messages (${(planInputs.scaleToZeroAfterMinutes * minuteMs / 1000).toFixed(1)} s here), is the fallback`);
      }
    } else if (busy) {
      waitingForZeroSince = undefined;
    }
    // The group converges on the desired capacity, replacing interrupted or dead workers.
    const inService = fleet.inService().length;
    if (!stopRequested) {
      for (let i = inService; i < state.desired; i++) fleet.launch();
      if (inService > state.desired) fleet.scaleIn(inService - state.desired, now + 5 * minuteMs);
    }
    peakWorkers = Math.max(peakWorkers, fleet.live().length);

    // EC2 reclaims the instance at the deadline whether or not it finished draining.
    for (const [w, deadline] of spotDeadlines) {
      if (w.state === 'exited') {
        spotDeadlines.delete(w);
      } else if (now > deadline + 1000) {
        fleet.kill(w);
        w.cause = 'spot-interruption';
        spotDeadlines.delete(w);
      }
    }
    if (now >= nextKill) {
      const live = fleet.live();
      if (live.length > 0) {
        const w = live[Math.floor(random() * live.length)];
        fleet.kill(w);
        workersKilled++;
        progress.note(`SIGKILL worker ${w.id} (chaos)`);
      }
      nextKill = now + killGap();
    }

    if (options.watch && now >= nextFeed) {
      await feed();
      nextFeed = now + 500;
    }

    const settled = stats.visible + stats.inFlight === 0 && fleet.live().length === 0 && state.desired === 0;
    if (!options.watch && settled && fed.size > 0 && finished >= fed.size) break;
    if (!options.watch && settled && fed.size === 0) break;
    if (options.watch && stopRequested) break;
    if (!options.watch && stopRequested) break;
    if (now - start > timeoutMs) {
      timedOut = true;
      progress.note(`timed out after ${(timeoutMs / 1000).toFixed(0)} s; what is still queued or in flight is reported as unfinished`);
      break;
    }
    await sleep(100);
  }

  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  await fleet.shutdown(Math.max(2000, 5 * minuteMs));
  progress.finish();

  // Ground truth from the bucket and the DLQ, not from what workers said.
  const outputs = outputStems(await bucket.list(OUTPUT_PREFIX));
  const deadLetterEntries: DeadLetterEntry[] = (await dlq.list()).map((m) => {
    const sourceKey = m.attributes.SourceKey || eventSourceKey(m.body);
    return {
      sourceKey,
      kind: m.attributes.FailureKind ?? FailureKind.MAX_RECEIVES_EXCEEDED,
      reason: m.attributes.FailureReason ?? `received ${m.receiveCount} times without being deleted (maxReceiveCount ${maxReceiveCount}): redriven by the queue`,
      receiveCount: Number(m.attributes.OriginalReceiveCount ?? m.receiveCount),
    };
  });
  const deadKeys = new Set(deadLetterEntries.map((e) => e.sourceKey));
  let pdfs = 0;
  const unaccounted: string[] = [];
  for (const k of [...fed].sort()) {
    if (hasOutput(outputs, k)) pdfs++;
    else if (!deadKeys.has(k)) unaccounted.push(k);
  }
  const end = Date.now();
  const wallSeconds = (end - start) / 1000;
  samples.push({ t: wallSeconds, visible: 0, inFlight: 0, workers: fleet.live().length, finished: pdfs + deadLetterEntries.length });
  const workerSeconds = fleet.workers.reduce((s, w) => s + ((w.endedAt ?? end) - w.startedAt) / 1000, 0);
  const interruptionsSurvived = fleet.workers.filter((w) => w.cause === 'spot-interruption' && w.exitCode === 0 && w.drained).length;
  const total = Object.values(requests).reduce((s, n) => s + (n ?? 0), 0);
  const report: LocalReport = {
    label,
    images: fed.size,
    pdfs,
    deadLetterEntries,
    unaccounted,
    skippedFiles: skipped,
    wallSeconds,
    processingSeconds: lastFinishedAt,
    imagesPerSecond: lastFinishedAt > 0 ? (pdfs + deadLetterEntries.length) / lastFinishedAt : 0,
    messagesReleasedOnDrain: released,
    workerSeconds,
    busySeconds,
    utilisation: workerSeconds > 0 ? Math.min(1, busySeconds / workerSeconds) : 0,
    peakWorkers,
    workersLaunched: fleet.workers.length,
    interruptionsInjected,
    interruptionsWhileIdle: idleInterruptionTimes.length,
    interruptionsSurvived,
    workersKilled,
    sqsRequests: requests,
    sqsRequestsTotal: total,
    scalingEvents,
    policy: {
      backlogPerInstanceTarget: target,
      maxWorkers,
      concurrency,
      storageLatencyMs,
      timeScale,
      localSecondsPerCloudWatchMinute: minuteMs / 1000,
      visibilityTimeoutSeconds,
      maxReceiveCount,
    },
    idleTailSeconds: Math.max(0, wallSeconds - lastFinishedAt),
    fleetAtZero: fleet.live().length === 0,
    endedBy: timedOut ? 'timeout' : stopRequested ? 'stopped' : 'scaled-to-zero',
    outDir: layout.out,
  };
  await fsp.writeFile(path.join(layout.out, 'report.json'), JSON.stringify({ ...report, timeline: samples, interruptionTimes, idleInterruptionTimes }, null, 2) + '\n');
  await fsp.writeFile(path.join(layout.out, 'report.md'), renderMarkdown(report));
  await fsp.writeFile(path.join(layout.out, 'chart.svg'), renderChart({ title: `spot-worker local: ${label}`, samples, interruptions: interruptionTimes, idleInterruptions: idleInterruptionTimes }));

  const rel = path.relative(process.cwd(), layout.out) || '.';
  stdout.write([
    '',
    `images ${report.images} · PDFs ${report.pdfs} (in ${rel}/bucket/${OUTPUT_PREFIX}) · DLQ ${deadLetterEntries.length} · unfinished ${unaccounted.length}`,
    ...deadLetterEntries.map((e) => `  DLQ ${e.sourceKey}: ${e.kind}: ${e.reason}`),
    ...unaccounted.map((k) => `  UNFINISHED ${k}: ${timedOut || stopRequested ? 'still queued or in flight when the run ended' : 'neither a PDF nor a DLQ entry'}`),
    `wall ${wallSeconds.toFixed(1)} s (last image done at ${lastFinishedAt.toFixed(1)} s: ${report.imagesPerSecond.toFixed(2)} images/s) · ${workerSeconds.toFixed(1)} worker-seconds · ${utilisationText(report)}`,
    `peak ${peakWorkers} worker${peakWorkers === 1 ? '' : 's'} (${fleet.workers.length} launched) · Spot interruptions survived ${interruptionsSurvived}/${interruptionsInjected}`
      + (idleInterruptionTimes.length ? ` (${idleInterruptionTimes.length} to idle workers)` : '')
      + ` (${released} unfinished message${released === 1 ? '' : 's'} handed back by draining workers)`
      + (workersKilled ? ` · ${workersKilled} SIGKILLed` : '') + ` · fleet at zero: ${report.fleetAtZero ? 'yes' : 'no'} (${report.endedBy})`,
    `SQS requests that would be billed: ${total} (${Object.entries(requests).map(([a, n]) => `${a} ${n}`).join(', ')})`,
    `report: ${rel}/report.md, ${rel}/report.json, chart: ${rel}/chart.svg`,
    summaryLine(report, `${rel}/report.md`),
    '',
  ].join('\n'));
  const exitCode = timedOut || unaccounted.length > 0 ? 1 : 0;
  return { report, exitCode };
}
