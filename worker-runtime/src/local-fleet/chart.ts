/**
 * The run's chart as a self-contained SVG: three panels sharing the time axis — backlog
 * (visible + in flight), workers (processes alive, with interruptions marked) and throughput
 * (images finished per second).
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
  /** Seconds since start at which an interruption was injected. */
  readonly interruptions: readonly number[];
}

const WIDTH = 760;
const PANEL_H = 130;
const LEFT = 60;
const RIGHT = 20;
const TOP = 58;
const GAP = 30;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (v <= 1) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

/** Finished-per-second over a sliding window of about 2 s, so a step chart is readable. */
export function throughputSeries(samples: readonly TimelineSample[], windowSeconds = 2): number[] {
  return samples.map((s, i) => {
    let j = i;
    while (j > 0 && s.t - samples[j - 1].t <= windowSeconds) j--;
    const dt = s.t - samples[j].t;
    return dt > 0 ? (s.finished - samples[j].finished) / dt : 0;
  });
}

function panel(index: number, label: string, colour: string, xs: number[], ys: number[], tMax: number, step: boolean): string {
  const y0 = TOP + index * (PANEL_H + GAP);
  const plotW = WIDTH - LEFT - RIGHT;
  const yMax = niceMax(Math.max(0, ...ys));
  const px = (t: number): number => LEFT + (tMax > 0 ? (t / tMax) * plotW : 0);
  const py = (v: number): number => y0 + PANEL_H - (v / yMax) * PANEL_H;
  let d = '';
  xs.forEach((t, i) => {
    const x = px(t).toFixed(1);
    const y = py(ys[i]).toFixed(1);
    if (i === 0) d += `M${x},${y}`;
    else if (step) d += `H${x}V${y}`;
    else d += `L${x},${y}`;
  });
  const grid = [0, 0.5, 1].map((f) => {
    const v = yMax * f;
    const y = py(v).toFixed(1);
    const text = Number.isInteger(v) ? String(v) : v.toFixed(1);
    return `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}" stroke="#ddd"/>`
      + `<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11" fill="#555">${text}</text>`;
  }).join('');
  return `<g>${grid}<text x="${LEFT}" y="${y0 - 8}" font-size="13" font-weight="bold" fill="${colour}">${esc(label)}</text>`
    + `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/></g>`;
}

export function renderChart(input: ChartInput): string {
  const samples = input.samples.length > 0 ? input.samples : [{ t: 0, visible: 0, inFlight: 0, workers: 0, finished: 0 }];
  const xs = samples.map((s) => s.t);
  const tMax = Math.max(1, xs[xs.length - 1]);
  const height = TOP + 3 * PANEL_H + 2 * GAP + 45;
  const plotW = WIDTH - LEFT - RIGHT;
  const marks = input.interruptions.map((t) => {
    const x = (LEFT + (t / tMax) * plotW).toFixed(1);
    const y0 = TOP + PANEL_H + GAP;
    return `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="#d62728" stroke-dasharray="3,3"/>`;
  }).join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const x = (LEFT + f * plotW).toFixed(1);
    const y = TOP + 3 * PANEL_H + 2 * GAP + 16;
    return `<text x="${x}" y="${y}" text-anchor="middle" font-size="11" fill="#555">${(f * tMax).toFixed(1)} s</text>`;
  }).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<rect width="100%" height="100%" fill="#fff"/>',
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    panel(0, 'backlog (visible + in flight)', '#1f77b4', xs, samples.map((s) => s.visible + s.inFlight), tMax, true),
    panel(1, `workers${input.interruptions.length ? ' (red: Spot interruptions injected)' : ''}`, '#2ca02c', xs, samples.map((s) => s.workers), tMax, true),
    marks,
    panel(2, 'throughput (images/s)', '#ff7f0e', xs, throughputSeries(samples), tMax, false),
    ticks,
    `<text x="${LEFT + plotW / 2}" y="${height - 6}" text-anchor="middle" font-size="11" fill="#555">wall time since start</text>`,
    '</svg>',
    '',
  ].join('\n');
}
