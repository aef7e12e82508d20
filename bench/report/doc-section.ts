/**
 * Rewrites one generated section of a doc (docs/benchmarks.md by default), between `<!-- name:begin -->` and
 * `<!-- name:end -->`, leaving the hand-written prose around it alone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const BENCHMARKS_DOC = path.join(__dirname, '..', '..', 'docs', 'benchmarks.md');

export function replaceSection(text: string, name: string, content: string, docName = 'docs/benchmarks.md'): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${docName} has no ${begin} … ${end} section`);
  return `${text.slice(0, i + begin.length)}\n${content.trim()}\n${text.slice(j)}`;
}

export function writeSection(name: string, content: string, file = BENCHMARKS_DOC): void {
  fs.writeFileSync(file, replaceSection(fs.readFileSync(file, 'utf8'), name, content));
}

/** A Markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}
