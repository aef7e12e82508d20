/**
 * The run's chart as a self-contained SVG: three panels sharing the time axis — backlog
 * (visible + in flight), workers (processes alive, with Spot notices marked) and throughput
 * (images finished per second, per time bin: a bin shows what finished inside it, so the
 * throughput ends in the same bin as the backlog, with no trailing average behind it).
 * Axis ticks fall on round values (1, 2 or 5 × a power of ten).
 */

export interface TimelineSample {
  /** Seconds since the start of the run. */
  readonly t: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly workers: number;
  /** Images finished (PDF or DLQ) so far. */
  readonly finished: number;
}

export interface ChartInput {
  readonly title: string;
  readonly samples: readonly TimelineSample[];
  /** Seconds since start of each Spot notice sent while the queue held work. */
  readonly interruptions: readonly number[];
  /** Seconds since start of each Spot notice sent to the fleet while the queue was empty. */
  readonly idleInterruptions?: readonly number[];
}

/** Images finished per second within [t0, t1). */
export interface ThroughputBin {
  readonly t0: number;
  readonly t1: number;
  readonly rate: number;
}

const WIDTH = 760;
const PANEL_H = 120;
const LEFT = 60;
const RIGHT = 24;
/** Below the chart's title and the legend. */
const TOP = 78;
/** Between panels: room for the next panel's title above its plot, clear of the previous axis. */
const GAP = 46;
const TITLE_ABOVE = 12;
const BUSY_MARK = '#d62728';
const IDLE_MARK = '#9a9a9a';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The smallest of 1, 2, 5 × 10^k that is ≥ v (v > 0). */
export function niceStep(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5]) if (v <= m * mag * (1 + 1e-9)) return m * mag;
  return 10 * mag;
}

/** Round ticks from 0 covering max: about `count` steps of a nice size; `whole` keeps them integers. */
export function axisTicks(max: number, count: number, whole = false): number[] {
  const step = Math.max(whole ? 1 : 0, niceStep(Math.max(max, whole ? 1 : 1e-9) / count));
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step * 1e-9; i++) ticks.push(round(i * step));
  return ticks;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function label(v: number): string {
  return Number.isInteger(v) ? String(v) : String(round(v));
}

/** `finished` at time t: the last sample at or before t. */
function finishedAt(samples: readonly TimelineSample[], t: number): number {
  let v = 0;
  for (const s of samples) {
    if (s.t > t) break;
    v = s.finished;
  }
  return v;
}

/**
 * Images finished per second in consecutive bins of `binSeconds` (default: a round width giving
 * about 30 bins). Each bin counts only what finished inside it, so it has no lag.
 */
export function throughputSeries(samples: readonly TimelineSample[], binSeconds?: number): ThroughputBin[] {
  if (samples.length === 0) return [];
  const tMax = samples[samples.length - 1].t;
  const bin = binSeconds ?? Math.max(0.25, niceStep(tMax / 30));
  const bins: ThroughputBin[] = [];
  for (let t0 = 0; t0 < tMax - 1e-9; t0 = round(t0 + bin)) {
    const t1 = Math.min(round(t0 + bin), tMax);
    const done = finishedAt(samples, t1) - finishedAt(samples, t0);
    bins.push({ t0, t1, rate: t1 > t0 ? done / (t1 - t0) : 0 });
  }
  return bins;
}

interface Frame {
  readonly tMax: number;
  readonly plotW: number;
}

function px(f: Frame, t: number): number {
  return LEFT + (f.tMax > 0 ? (t / f.tMax) * f.plotW : 0);
}

/** One panel: title above the plot, round y ticks, a step line through (t, v) points. */
function panel(f: Frame, index: number, title: string, colour: string, points: Array<[number, number]>, whole: boolean): string {
  const y0 = TOP + index * (PANEL_H + GAP);
  const ticks = axisTicks(Math.max(0, ...points.map(([, v]) => v)), 4, whole);
  const yMax = ticks[ticks.length - 1];
  const py = (v: number): number => y0 + PANEL_H - (v / yMax) * PANEL_H;
  let d = '';
  points.forEach(([t, v], i) => {
    const x = px(f, t).toFixed(1);
    const y = py(v).toFixed(1);
    d += i === 0 ? `M${x},${y}` : `H${x}V${y}`;
  });
  const grid = ticks.map((v) => {
    const y = py(v).toFixed(1);
    return `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`
      + `<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#555">${label(v)}</text>`;
  }).join('');
  return `<g>${grid}<text x="${LEFT}" y="${y0 - TITLE_ABOVE}" font-size="13" font-weight="bold" fill="${colour}">${esc(title)}</text>`
    + `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/></g>`;
}

function marks(f: Frame, times: readonly number[], colour: string): string {
  const y0 = TOP + PANEL_H + GAP;
  return times.map((t) => {
    const x = px(f, t).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="${colour}" stroke-dasharray="3,3"/>`;
  }).join('');
}

export function renderChart(input: ChartInput): string {
  const samples = input.samples.length > 0 ? input.samples : [{ t: 0, visible: 0, inFlight: 0, workers: 0, finished: 0 }];
  const last = samples[samples.length - 1].t;
  const timeTicks = axisTicks(Math.max(1, last), 6);
  const f: Frame = { tMax: timeTicks[timeTicks.length - 1], plotW: WIDTH - LEFT - RIGHT };
  const bottom = TOP + 3 * PANEL_H + 2 * GAP;
  const height = bottom + 48;
  const idle = input.idleInterruptions ?? [];

  const steps = (value: (s: TimelineSample) => number): Array<[number, number]> => samples.map((s) => [s.t, value(s)]);
  const throughput: Array<[number, number]> = [];
  for (const b of throughputSeries(samples)) throughput.push([b.t0, b.rate], [b.t1, b.rate]);
  if (throughput.length === 0) throughput.push([0, 0]);

  const xTicks = timeTicks.map((t) => {
    const x = px(f, t).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 5}" stroke="#555"/>`
      + `<text x="${x}" y="${bottom + 18}" text-anchor="middle" font-size="11" fill="#555">${label(t)} s</text>`;
  }).join('');
  const legend = [
    `<line x1="${LEFT}" x2="${LEFT + 18}" y1="44" y2="44" stroke="${BUSY_MARK}" stroke-dasharray="3,3" stroke-width="2"/>`,
    `<text x="${LEFT + 24}" y="44" dominant-baseline="middle" font-size="11" fill="#333">Spot notice while the queue held work (${input.interruptions.length})</text>`,
    `<line x1="${LEFT + 330}" x2="${LEFT + 348}" y1="44" y2="44" stroke="${IDLE_MARK}" stroke-dasharray="3,3" stroke-width="2"/>`,
    `<text x="${LEFT + 354}" y="44" dominant-baseline="middle" font-size="11" fill="#333">Spot notice to an idle fleet (${idle.length})</text>`,
  ].join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    legend,
    panel(f, 0, 'backlog: messages visible + in flight', '#1f77b4', steps((s) => s.visible + s.inFlight), true),
    panel(f, 1, 'workers (processes alive)', '#2ca02c', steps((s) => s.workers), true),
    marks(f, input.interruptions, BUSY_MARK),
    marks(f, idle, IDLE_MARK),
    panel(f, 2, 'throughput: images finished per second', '#ff7f0e', throughput, false),
    `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${bottom}" y2="${bottom}" stroke="#555"/>`,
    xTicks,
    `<text x="${LEFT + f.plotW / 2}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#555">wall time since start</text>`,
    '</svg>',
    '',
  ].join('\n');
}
