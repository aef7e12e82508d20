/**
 * `npx projen bench` part 1: the default handler against img2pdf (both engines), ImageMagick one
 * process per file, and a read+write floor, on ../shared/corpus/photos, interleaved: every round
 * runs every contender once, in a rotated order, each in a fresh process. Rewrites the convert
 * section of docs/benchmarks.md and bench/out/convert.json.
 *
 *   tsx bench/convert/run.ts [--rounds 3] [--passes 3] [--subset N]     (BENCH_CORPUS=<photos dir> to point elsewhere)
 *
 * In-process contenders go over the files `passes` times per round; ImageMagick (seconds per round) once.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { anchors } from './anchors';
import { machineLine, table, writeSection } from '../report/doc-section';

const ROOT = path.join(__dirname, '..', '..');
// BENCH_CORPUS: the photos folder when the checkout is not beside ../shared (e.g. a git worktree).
const CORPUS = process.env.BENCH_CORPUS ?? path.join(ROOT, '..', 'shared', 'corpus', 'photos');
const OUT = path.join(ROOT, 'bench', 'out');

interface Sample {
  readonly images: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssKb: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly failed?: number;
}

interface Contender {
  readonly name: string;
  readonly label: string;
  readonly command: string[];
  /** Passes over the file list per round (in-process contenders). */
  readonly passes?: string;
}

export interface ContenderSummary {
  readonly name: string;
  readonly label: string;
  readonly rounds: number;
  readonly imagesPerSecond: number;
  readonly mbPerSecond: number;
  /** Images per second of CPU time: the rate on an otherwise idle core, robust to contention. */
  readonly imagesPerCpuSecond: number;
  readonly cpuMsPerImage: number;
  readonly wallMsPerImage: number;
  readonly peakRssMb: number;
  readonly sizeOverheadPercent: number;
  readonly failed: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function main(): void {
  const rounds = arg('rounds', 3);
  const subset = arg('subset', 0);
  const passes = String(arg('passes', 3));
  const a = anchors();
  let files = fs.readdirSync(CORPUS).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => path.join(CORPUS, f));
  if (subset > 0) files = files.slice(0, subset);
  fs.mkdirSync(OUT, { recursive: true });
  const list = path.join(OUT, 'convert-files.txt');
  fs.writeFileSync(list, files.join('\n') + '\n');
  const nodeLoop = ['node', '--import', 'tsx', path.join(__dirname, 'loops', 'node-loop.ts')];
  const contenders: Contender[] = [
    { name: 'handler', label: 'ours: default handler (in-process loop)', command: [...nodeLoop, 'handler'], passes },
    { name: 'img2pdf-default', label: `img2pdf ${a.img2pdfVersion}, default engine (in-process loop)`, command: [a.python, path.join(__dirname, 'loops', 'img2pdf_loop.py'), 'default'], passes },
    { name: 'img2pdf-internal', label: `img2pdf ${a.img2pdfVersion}, engine=internal (in-process loop)`, command: [a.python, path.join(__dirname, 'loops', 'img2pdf_loop.py'), 'internal'], passes },
    { name: 'imagemagick', label: `ImageMagick ${a.imageMagickVersion} convert, one process per file`, command: [a.python, path.join(__dirname, 'loops', 'imagemagick_loop.py'), a.convert] },
    { name: 'floor', label: 'floor: read + write the bytes (in-process loop)', command: [...nodeLoop, 'floor'], passes },
    { name: 'handler-validate', label: 'ours with validateDecode=true (full decode of each JPEG; optional)', command: [...nodeLoop, 'handler-validate'] },
  ];
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no contender always runs first (cold caches) or last.
    const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]);
    for (const c of order) {
      const outDir = path.join(OUT, 'convert', c.name);
      const res = spawnSync(c.command[0], [...c.command.slice(1), list, outDir, ...(c.passes ? [c.passes] : [])], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      if (res.status !== 0) throw new Error(`${c.name} failed (${res.status}): ${res.stderr}`);
      const line = res.stdout.trim().split('\n').pop()!;
      samples.get(c.name)!.push(JSON.parse(line));
      process.stdout.write(`round ${r + 1}/${rounds} ${c.name}: ${line}\n`);
    }
  }
  const summaries: ContenderSummary[] = contenders.map((c) => {
    const s = samples.get(c.name)!;
    const wall = median(s.map((x) => x.wallMs));
    const images = s[0].images;
    return {
      name: c.name,
      label: c.label,
      rounds: s.length,
      imagesPerSecond: images / (wall / 1000),
      mbPerSecond: s[0].bytesIn / 1e6 / (wall / 1000),
      imagesPerCpuSecond: images / (median(s.map((x) => x.cpuMs)) / 1000),
      cpuMsPerImage: median(s.map((x) => x.cpuMs)) / images,
      wallMsPerImage: wall / images,
      peakRssMb: Math.max(...s.map((x) => x.peakRssKb)) / 1024,
      sizeOverheadPercent: ((s[0].bytesOut - s[0].bytesIn) / s[0].bytesIn) * 100,
      failed: s[0].failed ?? 0,
    };
  });
  const by = (n: string): ContenderSummary => summaries.find((x) => x.name === n)!;
  const ours = by('handler');
  const fastestImg2pdf = [by('img2pdf-default'), by('img2pdf-internal')].sort((x, y) => y.imagesPerSecond - x.imagesPerSecond)[0];
  const floor = by('floor');
  const vsImg2pdf = ours.imagesPerSecond / fastestImg2pdf.imagesPerSecond;
  const vsFloor = ours.imagesPerSecond / floor.imagesPerSecond;
  const fastestByCpu = [by('img2pdf-default'), by('img2pdf-internal')].sort((x, y) => y.imagesPerCpuSecond - x.imagesPerCpuSecond)[0];
  const cpuVsImg2pdf = ours.imagesPerCpuSecond / fastestByCpu.imagesPerCpuSecond;
  const cpuVsFloor = ours.imagesPerCpuSecond / floor.imagesPerCpuSecond;
  // Issue 13's figure (bench/out/summary.json reads it from here): the handler's CPU time per
  // image over the floor's, medians of the same interleaved run; the per-round ratios show its spread.
  const handlerCpuVsFloor = ours.cpuMsPerImage / floor.cpuMsPerImage;
  const handlerCpuVsFloorRounds = samples.get('handler')!.map((h, i) => h.cpuMs / samples.get('floor')![i].cpuMs);
  const date = new Date().toISOString();
  fs.writeFileSync(path.join(OUT, 'convert.json'), JSON.stringify({ date, machine: machineLine(), files: files.length, rounds, passes: Number(passes), contenders: summaries, vsImg2pdf, vsFloor, cpuVsImg2pdf, cpuVsFloor, handlerCpuVsFloor, handlerCpuVsFloorRounds }, null, 1));
  const inputMb = fs.statSync(list) && files.reduce((acc, f) => acc + fs.statSync(f).size, 0) / 1e6;
  const content = [
    `Run ${date} on ${machineLine()}; ${files.length} files (${inputMb.toFixed(1)} MB) from ../shared/corpus/photos, ${rounds} interleaved rounds (in-process contenders: ${passes} passes over the files per round), median round shown (peak RSS: the largest). Load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    table(['contender', 'images/s', 'MB/s', 'images per CPU-second', 'CPU ms / image', 'peak RSS MB', 'output size vs input', 'failed files'], summaries.map((s) => [
      s.label, s.imagesPerSecond.toFixed(1), s.mbPerSecond.toFixed(1), s.imagesPerCpuSecond.toFixed(0), s.cpuMsPerImage.toFixed(2),
      s.peakRssMb.toFixed(0),
      `${s.sizeOverheadPercent >= 0 ? '+' : ''}${s.sizeOverheadPercent.toFixed(2)} %`, s.failed,
    ])),
    '',
    `- ours ÷ img2pdf's fastest engine (${fastestImg2pdf.name}): **${vsImg2pdf.toFixed(2)}×** (goal ≥ 1.00) → **${vsImg2pdf >= 1 ? 'met' : 'NOT met'}**`,
    `- ours ÷ read+write floor: **${(vsFloor * 100).toFixed(0)} %** (goal ≥ 75 %) → **${vsFloor >= 0.75 ? 'met' : 'NOT met'}**`,
    `- By CPU time (images per CPU-second, insensitive to other load on the machine): ours ÷ img2pdf's fastest (${fastestByCpu.name}) **${cpuVsImg2pdf.toFixed(2)}×**, ours ÷ floor **${(cpuVsFloor * 100).toFixed(0)} %**.`,
    `- CPU time per image, ours ÷ floor (\`handler_cpu_vs_floor\`): **${handlerCpuVsFloor.toFixed(2)}×** (rounds: ${handlerCpuVsFloorRounds.map((r) => r.toFixed(2)).join(', ')}; goal ≤ 1.50×) → **${handlerCpuVsFloor <= 1.5 ? 'met' : 'NOT met'}**`,
    `- ours ÷ ImageMagick one process per file: **${(ours.imagesPerSecond / by('imagemagick').imagesPerSecond).toFixed(1)}×**`,
  ].join('\n');
  writeSection('convert', content);
  console.log(content);
}

if (require.main === module) main();
