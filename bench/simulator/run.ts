/**
 * `npx projen bench` part 3: replays the traces through the policies and rewrites the simulator
 * section of docs/benchmarks.md, the charts in docs/bench/ and bench/out/simulator.json.
 *
 * Service times come from bench/out/convert.json when the convert benchmark ran first (it does in
 * `npx projen bench`); otherwise from the defaults below, and the report says so. Every other model
 * parameter is named here or in boot-time.ts with its source (docs/benchmarks.md lists them).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bootTime } from './boot-time';
import { renderChart } from './chart';
import { DEFAULT_SIM_CONFIG, SimConfig, SimResult, simulate } from './fleet-sim';
import { LowerBound, lowerBound } from './lower-bound';
import { synthesizeOurTemplate } from './ours-template';
import { adaptiveSlots, backlogRecipePolicy, ecsPatternsPolicy, ourWorker, samplePolicy, ServiceTimes } from './policies';
import { FleetPolicy } from './policy';
import { CfnTemplate, fleetPolicyFromTemplate } from './template-policy';
import { burstTrace, diurnalTrace, periodicTrace, singleAfterIdleTrace, singleTrace, Trace, trickleTrace } from './traces';
import { EARLY_RELEASE_SECONDS } from '../../worker-runtime/src/core/idle-release';
import { table, writeSection } from '../report/doc-section';

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', 'out');
const CHARTS = path.join(ROOT, 'docs', 'bench');

/**
 * One S3 request's round trip inside a region, seconds: the lower end of the "roughly 100–200
 * milliseconds" small-object latency of S3's performance guidelines (docs/benchmarks.md). A job
 * makes two: the GET of the image and the PUT of the PDF.
 */
export const STORAGE_LATENCY_SECONDS = 0.1;
const STORAGE_REQUESTS_PER_IMAGE = 2;
/** The sample's AWS CLI invocations around each conversion (receive, cp, cp, delete...), seconds (assumption). */
const SAMPLE_CLI_SECONDS = 2.0;
/**
 * Upload to the wake function's SetDesiredCapacity: S3 → EventBridge delivery plus one function
 * invocation (a cold start included), seconds. S3 documents event notifications as "typically
 * delivered in seconds"; 3 s is the assumption used.
 */
export const WAKE_DELAY_SECONDS = 3;
/** SQS: inactive after 6 h without messages or API calls; metrics delayed up to 15 min on activation (AWS SQS developer guide). */
const INACTIVE_QUEUE = { afterSeconds: 6 * 3600, metricDelaySeconds: 15 * 60 };
/** The construct's default acceptableLatency: the latency goal the lower bound's instance count must meet. */
const LATENCY_GOAL_SECONDS = 300;

function serviceTimes(): { times: ServiceTimes; origin: string } {
  const file = path.join(OUT, 'convert.json');
  const storage = STORAGE_LATENCY_SECONDS * STORAGE_REQUESTS_PER_IMAGE;
  if (fs.existsSync(file)) {
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    const ours = c.contenders.find((x: any) => x.name === 'handler');
    const im = c.contenders.find((x: any) => x.name === 'imagemagick');
    if (ours?.cpuMsPerImage && im?.wallMsPerImage) {
      const cpu = ours.cpuMsPerImage / 1000;
      return {
        times: { oursSeconds: cpu + storage, oursCpuSeconds: cpu, sampleSeconds: im.wallMsPerImage / 1000 + SAMPLE_CLI_SECONDS },
        origin: `measured by bench/convert (${c.date}): handler ${ours.cpuMsPerImage.toFixed(2)} CPU-ms/image, ImageMagick ${im.wallMsPerImage.toFixed(0)} ms/image`,
      };
    }
  }
  return {
    times: { oursSeconds: 0.0025 + storage, oursCpuSeconds: 0.0025, sampleSeconds: 2.15 },
    origin: 'defaults (bench/out/convert.json absent: run the convert benchmark first)',
  };
}

/** The runtime's idle self-release as the synthesized user data configures it, if at all. */
function releaseIdleAfter(template: CfnTemplate): number | undefined {
  // The env file inside the user data, as JSON text: SPOT_WORKER_IDLE_RELEASE_SECONDS=\"90\" (0: never).
  const m = /SPOT_WORKER_IDLE_RELEASE_SECONDS=(?:\\"|')?(\d+)/.exec(JSON.stringify(template));
  return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
}

/** Whether the synthesized user data lets the worker leave early on sparse arrivals (SPOT_WORKER_IDLE_RELEASE_EARLY). */
function releaseEarly(template: CfnTemplate): boolean {
  const m = /SPOT_WORKER_IDLE_RELEASE_EARLY=(?:\\"|')?(\w+)/.exec(JSON.stringify(template));
  return m !== null && /^(true|1|yes)$/i.test(m[1]);
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);
}

export interface SimulatorRun {
  readonly results: SimResult[];
  readonly lowerBounds: Record<string, LowerBound>;
  readonly policies: FleetPolicy[];
  readonly traces: Trace[];
  readonly config: SimConfig;
}

export function main(): SimulatorRun {
  const { times, origin } = serviceTimes();
  const boot = bootTime();
  const config: SimConfig = { ...DEFAULT_SIM_CONFIG, bootSeconds: boot.totalSeconds, inactiveQueue: INACTIVE_QUEUE };
  const template = synthesizeOurTemplate();
  const slots = adaptiveSlots(times);
  const release = releaseIdleAfter(template);
  const early = releaseEarly(template);
  const ours = fleetPolicyFromTemplate(template, 'ours', 'QueueDrivenSpotWorkerFleet defaults, read from the synthesized template',
    ourWorker(times, slots, release, early), WAKE_DELAY_SECONDS);
  // The same template's Auto Scaling policies with the earlier worker (one job per vCPU) and no upload wake: "today" in issue 13.
  const before: FleetPolicy = { ...ours, name: 'ours-before', source: 'the construct\'s Auto Scaling policies with the earlier worker (2 slots, one per vCPU) and no upload wake', worker: ourWorker(times, 2), wake: undefined };
  const max = ours.maxCapacity;
  const policies: FleetPolicy[] = [
    samplePolicy(times, max), ecsPatternsPolicy(times, max), backlogRecipePolicy(times, max, LATENCY_GOAL_SECONDS), before, ours,
  ];
  const seed = DEFAULT_SIM_CONFIG.seed;
  const traces = [burstTrace(seed), diurnalTrace(seed + 1), trickleTrace(seed + 2), singleTrace(), singleAfterIdleTrace()];
  const results: SimResult[] = [];
  const lowerBounds: Record<string, LowerBound> = {};
  fs.mkdirSync(CHARTS, { recursive: true });
  fs.mkdirSync(OUT, { recursive: true });
  for (const trace of traces) {
    const rs = policies.map((p) => simulate(p, trace, config));
    results.push(...rs);
    lowerBounds[trace.name] = lowerBound({
      arrivals: trace.arrivals, jobSeconds: times.oursSeconds, slots, bootSeconds: boot.totalSeconds, latencyGoalSeconds: LATENCY_GOAL_SECONDS,
    });
    fs.writeFileSync(path.join(CHARTS, `scaling-${trace.name}.svg`), renderChart(trace, rs));
  }
  // The idle release time against the traces' lower bounds (section 4): the template's value (about one boot) and others.
  // Two traces built against the rule: images arriving just after an early leave (wake + boot + early leave + 1 s
  // apart) and just after a full idle period (release + 1 s apart).
  const traps = [
    periodicTrace('after-early-leave', WAKE_DELAY_SECONDS + boot.totalSeconds + EARLY_RELEASE_SECONDS + 1),
    ...(release === undefined ? [] : [periodicTrace('after-idle-period', release + 1)]),
  ];
  for (const t of traps) {
    lowerBounds[t.name] = lowerBound({
      arrivals: t.arrivals, jobSeconds: times.oursSeconds, slots, bootSeconds: boot.totalSeconds, latencyGoalSeconds: LATENCY_GOAL_SECONDS,
    });
  }
  const sweepTraces = [...traces.filter((t) => ['burst', 'diurnal', 'trickle'].includes(t.name)), ...traps];
  const variants: Array<{ after: number; early: boolean }> = [
    ...[1, 30, 60, boot.totalSeconds, 2 * boot.totalSeconds].map((after) => ({ after, early: false })),
    ...[boot.totalSeconds, ...(release === undefined ? [] : [release])].map((after) => ({ after, early: true })),
  ];
  const sweep = variants.map(({ after, early: earlyLeave }) => {
    const p: FleetPolicy = { ...ours, worker: ourWorker(times, slots, after, earlyLeave) };
    return {
      releaseAfterSeconds: after,
      early: earlyLeave,
      traces: sweepTraces.map((t) => {
        const r = simulate(p, t, config);
        const vsLowerBound = r.instanceHours / lowerBounds[t.name].instanceHours;
        return { trace: t.name, vsLowerBound, p95Seconds: r.p95Seconds, autoscalingCalls: r.autoscalingCalls };
      }),
    };
  });
  fs.writeFileSync(path.join(OUT, 'simulator.json'), JSON.stringify({
    releaseSweep: sweep,
    origin,
    times,
    slots,
    boot,
    config,
    wakeDelaySeconds: WAKE_DELAY_SECONDS,
    storageLatencySeconds: STORAGE_LATENCY_SECONDS,
    lowerBounds,
    results: results.map(({ timeline, ...r }) => r),
  }, null, 1));

  const rows = results.map((r) => [
    r.trace, r.policy, `${r.completed}/${r.images}`, fmt(r.instanceHours, 2), fmt(r.instanceHours / lowerBounds[r.trace].instanceHours, 2),
    fmt(r.idleInstanceHours, 2), fmt(r.wakeSeconds, 0), fmt(r.p50Seconds), fmt(r.p95Seconds), r.lost, r.deadLettered, r.unfinished, r.maxInService,
    r.images ? Math.round((r.sqsRequests / r.images) * 1000) : '—', r.images ? Math.round((r.autoscalingCalls / r.images) * 1000) : '—', r.endsAtZero ? 'yes' : 'no',
  ]);
  // Item 4 of issue 13 (capacity in vCPUs): what one instance of ours can do against what each trace asks at its busiest minute.
  const perInstanceCeiling = 1 / times.oursCpuSeconds;
  const peakPerSecond = (t: Trace): number => {
    let most = 0;
    for (let i = 0, j = 0; i < t.arrivals.length; i++) {
      while (t.arrivals[i] - t.arrivals[j] > 60) j++;
      most = Math.max(most, i - j + 1);
    }
    return most / 60;
  };
  const oursMax = (t: Trace): number => results.find((r) => r.trace === t.name && r.policy === 'ours')?.maxInService ?? 0;
  const sizing = 'Instance size: our worker is one Node.js process, one event loop per instance, so an instance converts at most '
    + `1 ÷ ${(times.oursCpuSeconds * 1000).toFixed(2)} CPU-ms ≈ **${perInstanceCeiling.toFixed(0)} images/s whatever its vCPU count** `
    + `(${slots} slots cover the storage waits); the traces' busiest minutes ask for `
    + traces.map((t) => `${t.name} ${peakPerSecond(t).toFixed(1)}/s (ours: max ${oursMax(t)} instance(s))`).join(', ')
    + '. Extra vCPUs would idle, so capacity stays counted in instances and the instance range is narrowed to 2 vCPUs (docs/construct.md).';
  const content = [
    `Model parameters: service time per image ${origin}; ours = handler CPU + ${STORAGE_REQUESTS_PER_IMAGE} storage requests × ${STORAGE_LATENCY_SECONDS * 1000} ms, `
      + `**${slots} slots** per instance (adaptive concurrency on one event loop), the earlier design 2 slots; the sample = ImageMagick + ${SAMPLE_CLI_SECONDS} s of AWS CLI calls, 1 slot. `
      + `Launch to polling **${boot.totalSeconds.toFixed(0)} s**: ${boot.origin}. Upload wake ${WAKE_DELAY_SECONDS} s after the upload (quiet interval ${ours.wake?.quietSeconds ?? '—'} s). `
      + `Inactive queue: after ${INACTIVE_QUEUE.afterSeconds / 3600} h without messages or calls, metrics ${INACTIVE_QUEUE.metricDelaySeconds / 60} min late on activation. `
      + `Idle self-release: ${release === undefined ? 'not configured by the template' : `${release} s${early ? `, or ${EARLY_RELEASE_SECONDS} s when the instance's messages came further apart (early leave)` : ''}`}.`,
    '',
    sizing,
    '',
    'Lower bounds (section 4): '
      + traces.map((t) => `${t.name} ${fmt(lowerBounds[t.name].instanceHours, 3)} h (busy ${fmt(lowerBounds[t.name].busyHours, 3)} h, ${lowerBounds[t.name].instances} instance(s), ${lowerBounds[t.name].gaps} gaps costing ${fmt(lowerBounds[t.name].gapHours, 3)} h)`).join('; ') + '.',
    '',
    table(['trace', 'policy', 'done', 'instance-h', '÷ lower bound', 'idle instance-h', 'wake s', 'p50 s', 'p95 s', 'lost', 'DLQ', 'unfinished', 'max instances',
      'SQS requests / 1000 images', 'Auto Scaling calls / 1000 images', 'ends at 0'], rows),
    '',
    `Idle self-release time (ours with only the worker's release rule changed; instance-hours ÷ lower bound, p95 s; the template's value is ${release ?? '—'} s`
      + `${early ? ' with the early leave' : ''}, the modelled boot ${boot.totalSeconds.toFixed(0)} s; "early": the worker leaves ${EARLY_RELEASE_SECONDS} s after its last job when the messages it took were sent further apart than the release time):`,
    '',
    table(['release after (s)', 'early leave', ...sweepTraces.map((t) => `${t.name} ÷ LB`), ...sweepTraces.map((t) => `${t.name} p95 s`)], sweep.map((x) => [
      x.releaseAfterSeconds.toFixed(0), x.early ? 'yes' : 'no', ...x.traces.map((y) => fmt(y.vsLowerBound, 2)), ...x.traces.map((y) => fmt(y.p95Seconds, 0)),
    ])),
    '',
    ...traces.map((t) => `![${t.name}](bench/scaling-${t.name}.svg)`),
    '',
    'Policies:',
    ...policies.map((p) => `- **${p.name}** (min ${p.minCapacity}, max ${p.maxCapacity}; worker: ${p.worker.name}${p.wake ? '; upload wake' : ''}): ${p.source}${p.name === 'ours' ? ` — ${p.policies.map((x) => `${x.kind} ${x.name}`).join('; ')}` : ''}.`),
  ].join('\n');
  writeSection('simulator', content);
  console.log(content.split('\n').slice(0, 3).join('\n'));
  return { results, lowerBounds, policies, traces, config };
}

if (require.main === module) main();
