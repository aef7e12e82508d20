/**
 * The anchors the convert benchmark compares against, installed on first use under .peers/bench/
 * (git-ignored): img2pdf from PyPI in a virtualenv, and ImageMagick from Debian. The `convert` on
 * PATH may be something else (on the project machine /usr/local/bin/convert is not ImageMagick),
 * so the Debian binary is used by its full path and checked with `-version`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
export const BENCH_PEERS = path.join(ROOT, '.peers', 'bench');
/** Pinned so that two runs compare the same anchor. */
export const IMG2PDF_VERSION = '0.6.3';
const CONVERT_CANDIDATES = ['/usr/bin/convert-im6.q16', '/usr/bin/convert-im6', '/usr/bin/convert'];

export interface Anchors {
  readonly python: string;
  readonly img2pdfVersion: string;
  readonly convert: string;
  readonly imageMagickVersion: string;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function imageMagick(): { convert: string; version: string } | undefined {
  for (const c of CONVERT_CANDIDATES) {
    if (!fs.existsSync(c)) continue;
    try {
      const m = /Version: ImageMagick (\S+)/.exec(run(c, ['-version']));
      if (m) return { convert: c, version: m[1] };
    } catch {
      // not ImageMagick
    }
  }
  return undefined;
}

export function anchors(): Anchors {
  const venv = path.join(BENCH_PEERS, 'venv');
  const python = path.join(venv, 'bin', 'python');
  if (!fs.existsSync(python)) {
    fs.mkdirSync(BENCH_PEERS, { recursive: true });
    run('python3', ['-m', 'venv', venv]);
  }
  let version = '';
  try {
    version = run(python, ['-c', 'import img2pdf; print(img2pdf.__version__)']).trim();
  } catch {
    // not installed yet
  }
  if (version !== IMG2PDF_VERSION) {
    run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', `img2pdf==${IMG2PDF_VERSION}`]);
    version = run(python, ['-c', 'import img2pdf; print(img2pdf.__version__)']).trim();
  }
  let im = imageMagick();
  if (!im) {
    if (process.getuid?.() !== 0) throw new Error('ImageMagick is missing: run `apt-get install -y imagemagick` as root');
    run('apt-get', ['install', '-y', 'imagemagick']);
    im = imageMagick();
    if (!im) throw new Error(`ImageMagick installed but none of ${CONVERT_CANDIDATES.join(', ')} answers -version as ImageMagick`);
  }
  return { python, img2pdfVersion: version, convert: im.convert, imageMagickVersion: im.version };
}
