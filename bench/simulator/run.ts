/**
 * `npx projen bench` part 3: replays the traces through the four policies and rewrites the
 * simulator section of docs/benchmarks.md, the charts in docs/bench/ and bench/out/simulator.json.
 *
 * Service times come from bench/out/convert.json when the convert benchmark ran first (it does in
 * `npx projen bench`); otherwise from the defaults below, and the report says so.
 */
import * as fs from 'fs';
import * as path from 'path';
import { renderChart } from './chart';
import { DEFAULT_SIM_CONFIG, SimResult, simulate } from './fleet-sim';
import { synthesizeOurTemplate } from './ours-template';
import { backlogRecipePolicy, ecsPatternsPolicy, ourWorker, samplePolicy, ServiceTimes } from './policies';
import { FleetPolicy } from './policy';
import { fleetPolicyFromTemplate } from './template-policy';
import { burstTrace, diurnalTrace, singleTrace, trickleTrace } from './traces';
import { table, writeSection } from '../report/doc-section';

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, 'bench', 'out');
const CHARTS = path.join(ROOT, 'docs', 'bench');

/** S3 GET + PUT of one image and its PDF inside a region, seconds (assumption, stated in the doc). */
const S3_ROUND_TRIPS_SECONDS = 0.1;
/** The sample's AWS CLI invocations around each conversion (receive, cp, cp, delete...), seconds (assumption). */
const SAMPLE_CLI_SECONDS = 2.0;

function serviceTimes(): { times: ServiceTimes; origin: string } {
  const file = path.join(OUT, 'convert.json');
  if (fs.existsSync(file)) {
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    const ours = c.contenders.find((x: any) => x.name === 'handler');
    const im = c.contenders.find((x: any) => x.name === 'imagemagick');
    if (ours?.wallMsPerImage && im?.wallMsPerImage) {
      return {
        times: { oursSeconds: ours.wallMsPerImage / 1000 + S3_ROUND_TRIPS_SECONDS, sampleSeconds: im.wallMsPerImage / 1000 + SAMPLE_CLI_SECONDS },
        origin: `measured by bench/convert (${c.date}): handler ${ours.wallMsPerImage.toFixed(1)} ms/image, ImageMagick ${im.wallMsPerImage.toFixed(0)} ms/image`,
      };
    }
  }
  return { times: { oursSeconds: 0.25, sampleSeconds: 2.3 }, origin: 'defaults (bench/out/convert.json absent: run the convert benchmark first)' };
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);
}

export function main(): void {
  const { times, origin } = serviceTimes();
  const template = synthesizeOurTemplate();
  const ours = fleetPolicyFromTemplate(template, 'ours', 'QueueDrivenSpotWorkerFleet defaults, read from the synthesized template', ourWorker(times));
  const max = ours.maxCapacity;
  const policies: FleetPolicy[] = [samplePolicy(times, max), ecsPatternsPolicy(times, max), backlogRecipePolicy(times, max, 300), ours];
  const seed = DEFAULT_SIM_CONFIG.seed;
  const traces = [burstTrace(seed), diurnalTrace(seed + 1), trickleTrace(seed + 2), singleTrace()];
  const results: SimResult[] = [];
  fs.mkdirSync(CHARTS, { recursive: true });
  fs.mkdirSync(OUT, { recursive: true });
  for (const trace of traces) {
    const rs = policies.map((p) => simulate(p, trace, DEFAULT_SIM_CONFIG));
    results.push(...rs);
    fs.writeFileSync(path.join(CHARTS, `scaling-${trace.name}.svg`), renderChart(trace, rs));
  }
  fs.writeFileSync(path.join(OUT, 'simulator.json'), JSON.stringify({ origin, times, config: DEFAULT_SIM_CONFIG, results: results.map(({ timeline, ...r }) => r) }, null, 1));

  const rows = results.map((r) => [
    r.trace, r.policy, `${r.completed}/${r.images}`, fmt(r.instanceHours, 2), fmt(r.idleInstanceHours, 2), fmt(r.idleBeyondScaleInHours, 2),
    fmt(r.p50Seconds), fmt(r.p95Seconds), r.lost, r.deadLettered, r.unfinished, r.maxInService,
    r.images ? Math.round((r.sqsRequests / r.images) * 1000) : '—', r.endsAtZero ? 'yes' : 'no',
  ]);
  const get = (t: string, p: string): SimResult => results.find((r) => r.trace === t && r.policy === p)!;
  const bo = get('burst', 'ours');
  const bs = get('burst', 'sample');
  const to = get('trickle', 'ours');
  const so = get('single', 'ours');
  const ratio = bo.instanceHours / bs.instanceHours;
  const goals = [
    `- Burst: ours uses **${(ratio * 100).toFixed(0)} %** of the sample's instance-hours (${fmt(bo.instanceHours, 2)} vs ${fmt(bs.instanceHours, 2)}; goal ≤ 50 %) at p95 ${fmt(bo.p95Seconds)} s vs ${fmt(bs.p95Seconds)} s (goal: equal or better) → **${ratio <= 0.5 && bo.p95Seconds <= bs.p95Seconds ? 'met' : 'NOT met'}**.`,
    `- Trickle: ours has **${fmt(to.idleBeyondScaleInHours, 2)}** idle instance-hours beyond its scale-in delay (${(to.scaleInDelaySeconds / 60).toFixed(0)} min; goal 0) and ${to.endsAtZero ? 'ends at zero instances' : 'does NOT end at zero'} → **${to.idleBeyondScaleInHours === 0 && to.endsAtZero ? 'met' : 'NOT met'}**.`,
    `- Single message: ours goes 0 → 1 (first instance in service ${fmt(so.firstInstanceSeconds, 0)} s after the upload, PDF after ${fmt(so.p95Seconds, 0)} s) and ${so.endsAtZero ? 'back to 0' : 'does NOT return to 0'} → **${so.completed === 1 && so.endsAtZero ? 'met' : 'NOT met'}**.`,
  ];
  const content = [
    `Service time per image: ${origin}; ours = handler + ${S3_ROUND_TRIPS_SECONDS} s of S3 round trips per slot, 2 slots per instance; the sample = ImageMagick + ${SAMPLE_CLI_SECONDS} s of AWS CLI calls, 1 slot.`,
    '',
    table(['trace', 'policy', 'done', 'instance-h', 'idle instance-h', 'idle beyond scale-in delay (h)', 'p50 s', 'p95 s', 'lost', 'DLQ', 'unfinished', 'max instances', 'SQS requests / 1000 images', 'ends at 0'], rows),
    '',
    ...goals,
    '',
    ...traces.map((t) => `![${t.name}](bench/scaling-${t.name}.svg)`),
    '',
    'Policies:',
    ...policies.map((p) => `- **${p.name}** (min ${p.minCapacity}, max ${p.maxCapacity}; worker: ${p.worker.name}): ${p.source}${p.name === 'ours' ? ` — ${p.policies.map((x) => `${x.kind} ${x.name}`).join('; ')}` : ''}.`),
  ].join('\n');
  writeSection('simulator', content);
  for (const g of goals) console.log(g);
}

if (require.main === module) main();
