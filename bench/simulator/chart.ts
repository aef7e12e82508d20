/**
 * One SVG chart per trace: uploads per minute on top, instances in service per policy below, on
 * the same time axis. Plain SVG, no dependency.
 */
import { SimResult } from './fleet-sim';
import { Trace } from './traces';

const COLOURS = ['#d62728', '#ff7f0e', '#1f77b4', '#2ca02c', '#9467bd'];

export function renderChart(trace: Trace, results: SimResult[]): string {
  const W = 820;
  const left = 50;
  const right = 150;
  const plotW = W - left - right;
  const topH = 90;
  const botH = 180;
  const gap = 40;
  const H = 30 + topH + gap + botH + 40;
  const minutes = Math.ceil(trace.horizonSeconds / 60);
  const x = (m: number): number => left + (m / minutes) * plotW;
  const perMinute = new Array<number>(minutes).fill(0);
  for (const a of trace.arrivals) perMinute[Math.min(minutes - 1, Math.floor(a / 60))]++;
  const maxUp = Math.max(1, ...perMinute);
  const maxInst = Math.max(1, ...results.flatMap((r) => r.timeline.map((t) => t.inService)));
  const y1 = (v: number): number => 30 + topH - (v / maxUp) * topH;
  const y2top = 30 + topH + gap;
  const y2 = (v: number): number => y2top + botH - (v / maxInst) * botH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${left}" y="18" font-size="13" font-weight="bold">${escape(trace.name)}: ${escape(trace.description)}</text>`);
  // Uploads per minute (bars).
  const bw = Math.max(0.5, plotW / minutes);
  out.push(perMinute.map((v, m) => (v > 0 ? `<rect x="${x(m).toFixed(1)}" y="${y1(v).toFixed(1)}" width="${bw.toFixed(2)}" height="${(30 + topH - y1(v)).toFixed(1)}" fill="#888"/>` : '')).join(''));
  out.push(`<text x="${left - 6}" y="${y1(maxUp) + 4}" text-anchor="end">${maxUp}</text><text x="${left - 6}" y="${30 + topH}" text-anchor="end">0</text>`);
  out.push(`<text x="${W - right + 10}" y="${30 + topH / 2}">uploads / min</text>`);
  // Instances in service per policy (step lines).
  out.push(`<line x1="${left}" y1="${y2top + botH}" x2="${left + plotW}" y2="${y2top + botH}" stroke="#000"/>`);
  for (let v = 0; v <= maxInst; v += Math.max(1, Math.ceil(maxInst / 5))) {
    out.push(`<line x1="${left}" y1="${y2(v)}" x2="${left + plotW}" y2="${y2(v)}" stroke="#eee"/><text x="${left - 6}" y="${y2(v) + 4}" text-anchor="end">${v}</text>`);
  }
  results.forEach((r, i) => {
    const c = COLOURS[i % COLOURS.length];
    const offset = (i - (results.length - 1) / 2) * 1.2; // keep overlapping lines visible
    let d = '';
    let prev: number | undefined;
    for (const t of r.timeline) {
      const yy = (y2(t.inService) + offset).toFixed(1);
      d += prev === undefined ? `M${x(t.minute).toFixed(1)},${yy}` : `H${x(t.minute).toFixed(1)}V${yy}`;
      prev = t.inService;
    }
    d += `H${x(minutes).toFixed(1)}`;
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="1.6"/>`);
    out.push(`<rect x="${W - right + 10}" y="${y2top + 10 + i * 18}" width="12" height="3" fill="${c}"/><text x="${W - right + 28}" y="${y2top + 15 + i * 18}">${escape(r.policy)}</text>`);
  });
  out.push(`<text x="${W - right + 10}" y="${y2top + botH}">instances in service</text>`);
  // Time axis.
  const stepH = trace.horizonSeconds > 12 * 3600 ? 3 : trace.horizonSeconds > 2 * 3600 ? 1 : 0.25;
  for (let h = 0; h <= trace.horizonSeconds / 3600 + 1e-9; h += stepH) {
    out.push(`<text x="${x(h * 60)}" y="${y2top + botH + 16}" text-anchor="middle">${h >= 1 || h === 0 ? `${h} h` : `${h * 60} min`}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
