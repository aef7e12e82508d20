/**
 * `npx projen bench`, last step: the headline figures of issue 13 in one file,
 * bench/out/summary.json, each with the run it comes from, beside the anchors (the public
 * sample's and aws-ecs-patterns' rows of the same simulator run), and the same table in the
 * summary section of docs/benchmarks.md. It reads what the three benchmarks wrote
 * (bench/out/convert.json, pipeline.json, simulator.json); a figure whose run is missing is null and
 * says so, never a stale or typed-in number.
 *
 *   tsx bench/summary.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { table, writeSection } from './report/doc-section';

const OUT = path.join(__dirname, 'out');

function read(name: string): any | undefined {
  const file = path.join(OUT, `${name}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
}

interface Figure {
  readonly key: string;
  readonly label: string;
  readonly value: number | null;
  readonly sample?: number | null;
  readonly ecsPatterns?: number | null;
  readonly goal: string;
  readonly met: boolean | null;
  readonly source: string;
}

export function buildSummary(): { figures: Figure[]; summary: Record<string, unknown> } {
  const convert = read('convert');
  const pipeline = read('pipeline');
  const sim = read('simulator');
  const result = (trace: string, policy: string): any | undefined => sim?.results?.find((r: any) => r.trace === trace && r.policy === policy);
  const lb = (trace: string): number | undefined => sim?.lowerBounds?.[trace]?.instanceHours;
  const per1000 = (r: any, n: number | undefined): number | null => (r && n !== undefined ? (n / r.images) * 1000 : null);
  const vsLb = (trace: string, policy: string): number | null => {
    const r = result(trace, policy);
    const b = lb(trace);
    return r && b ? r.instanceHours / b : null;
  };
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const check = (v: number | null, ok: (x: number) => boolean): boolean | null => (v === null ? null : ok(v));
  const simSource = sim ? 'bench/simulator (model; parameters and sources in docs/benchmarks.md section 3)' : 'not run: bench/out/simulator.json is missing';

  const idle = result('single-after-idle', 'ours');
  const burst = result('burst', 'ours');
  const burstSample = result('burst', 'sample');
  const burstEcs = result('burst', 'ecs-patterns');
  const diurnal = result('diurnal', 'ours');
  const handler = convert?.contenders?.find((c: any) => c.name === 'handler');
  const floor = convert?.contenders?.find((c: any) => c.name === 'floor');
  const handlerVsFloor = num(convert?.handlerCpuVsFloor) ?? (handler && floor ? handler.cpuMsPerImage / floor.cpuMsPerImage : null);
  const latencyRun = pipeline?.storageLatency;

  const figures: Figure[] = [
    {
      key: 'wake_s',
      label: 'wake after 24 h idle: upload → desired capacity ≥ 1 (s)',
      value: num(idle?.wakeSeconds),
      sample: num(result('single-after-idle', 'sample')?.wakeSeconds),
      ecsPatterns: num(result('single-after-idle', 'ecs-patterns')?.wakeSeconds),
      goal: '≤ 10',
      met: check(num(idle?.wakeSeconds), (x) => x <= 10),
      source: `${simSource}, trace single-after-idle`,
    },
    {
      key: 'single_after_idle_p50_s',
      label: 'upload → PDF after 24 h idle, p50 (s)',
      value: num(idle?.p50Seconds),
      sample: num(result('single-after-idle', 'sample')?.p50Seconds),
      ecsPatterns: num(result('single-after-idle', 'ecs-patterns')?.p50Seconds),
      goal: '≤ 120',
      met: check(num(idle?.p50Seconds), (x) => x <= 120),
      source: `${simSource}, trace single-after-idle`,
    },
    {
      key: 'burst_instance_hours_vs_sample',
      label: 'burst instance-hours ÷ the sample\'s',
      value: burst && burstSample ? burst.instanceHours / burstSample.instanceHours : null,
      sample: burstSample ? 1 : null,
      ecsPatterns: burstEcs && burstSample ? burstEcs.instanceHours / burstSample.instanceHours : null,
      goal: '≤ 0.10 at p95 ≤ 270 s',
      met: burst && burstSample ? burst.instanceHours / burstSample.instanceHours <= 0.1 && burst.p95Seconds <= 270 : null,
      source: `${simSource}, trace burst`,
    },
    {
      key: 'burst_p95_s',
      label: 'burst upload → PDF, p95 (s)',
      value: num(burst?.p95Seconds),
      sample: num(burstSample?.p95Seconds),
      ecsPatterns: num(burstEcs?.p95Seconds),
      goal: '≤ 270',
      met: check(num(burst?.p95Seconds), (x) => x <= 270),
      source: `${simSource}, trace burst`,
    },
    {
      key: 'trickle_instance_hours_vs_lower_bound',
      label: 'trickle instance-hours ÷ the trace\'s lower bound',
      value: vsLb('trickle', 'ours'),
      sample: vsLb('trickle', 'sample'),
      ecsPatterns: vsLb('trickle', 'ecs-patterns'),
      goal: '≤ 1.5',
      met: check(vsLb('trickle', 'ours'), (x) => x <= 1.5),
      source: `${simSource}, trace trickle; lower bound in section 4`,
    },
    {
      key: 'diurnal_instance_hours_vs_lower_bound',
      label: 'diurnal instance-hours ÷ the trace\'s lower bound',
      value: vsLb('diurnal', 'ours'),
      sample: vsLb('diurnal', 'sample'),
      ecsPatterns: vsLb('diurnal', 'ecs-patterns'),
      goal: '≤ 1.5',
      met: check(vsLb('diurnal', 'ours'), (x) => x <= 1.5),
      source: `${simSource}, trace diurnal; lower bound in section 4`,
    },
    {
      key: 'pipeline_latency_injected_vs_convert',
      label: `local pipeline at full fleet with ${latencyRun?.latencyMs ?? 80} ms per storage request ÷ convert-only (same cores)`,
      value: num(latencyRun?.steadyRatio),
      goal: '≥ 0.80',
      met: check(num(latencyRun?.steadyRatio), (x) => x >= 0.8),
      source: latencyRun ? `bench/pipeline --storage-latency (${pipeline.date}, measured)` : 'not run: bench/out/pipeline.json has no storage-latency run',
    },
    {
      key: 'sqs_requests_per_1000',
      label: 'consumer SQS requests per 1000 images',
      value: num(pipeline?.sqs?.consumerPer1000),
      sample: num(pipeline?.sqs?.sampleFloorPer1000),
      goal: '≤ 250',
      met: check(num(pipeline?.sqs?.consumerPer1000), (x) => x <= 250),
      source: pipeline ? `bench/pipeline (${pipeline.date}, measured by the local queue); the sample's: its loop's 2 calls per image` : 'not run: bench/out/pipeline.json is missing',
    },
    {
      key: 'autoscaling_calls_per_1000',
      label: 'Auto Scaling API calls per 1000 images by the fleet\'s own code (diurnal day)',
      value: per1000(diurnal, diurnal?.autoscalingCalls),
      sample: per1000(result('diurnal', 'sample'), result('diurnal', 'sample')?.autoscalingCalls),
      ecsPatterns: per1000(result('diurnal', 'ecs-patterns'), result('diurnal', 'ecs-patterns')?.autoscalingCalls),
      goal: '— (bounded: ≤ 6 Describe + 1 Set per minute from the wake)',
      met: null,
      source: `${simSource}, trace diurnal`,
    },
    {
      key: 'handler_cpu_vs_floor',
      label: 'default handler CPU per image ÷ the read-and-write floor\'s',
      value: handlerVsFloor,
      goal: '≤ 1.5',
      met: check(handlerVsFloor, (x) => x <= 1.5),
      source: convert ? `bench/convert (${convert.date}, measured)` : 'not run: bench/out/convert.json is missing',
    },
  ];
  const summary: Record<string, unknown> = { date: new Date().toISOString() };
  for (const f of figures) summary[f.key] = f.value;
  summary.anchors = Object.fromEntries(figures.filter((f) => f.sample !== undefined || f.ecsPatterns !== undefined)
    .map((f) => [f.key, { sample: f.sample ?? null, ecs_patterns: f.ecsPatterns ?? null }]));
  summary.goals = Object.fromEntries(figures.map((f) => [f.key, { goal: f.goal, met: f.met }]));
  summary.sources = Object.fromEntries(figures.map((f) => [f.key, f.source]));
  return { figures, summary };
}

function show(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function main(): void {
  const { figures, summary } = buildSummary();
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify(summary, null, 1));
  const content = [
    `Written ${summary.date} by \`tsx bench/summary.ts\` from this run's bench/out/*.json (also in bench/out/summary.json).`,
    '',
    table(['figure', 'key', 'ours', 'the sample', 'ecs-patterns', 'goal', 'met', 'from'], figures.map((f) => [
      f.label, `\`${f.key}\``, `**${show(f.value)}**`, show(f.sample), show(f.ecsPatterns), f.goal,
      f.met === null ? '—' : f.met ? 'met' : '**NOT met**', f.source,
    ])),
  ].join('\n');
  writeSection('summary', content);
  console.log(JSON.stringify(summary, null, 1));
}

if (require.main === module) main();
