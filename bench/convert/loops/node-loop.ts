/**
 * One contender of the convert benchmark, in its own process: converts every file of a list in an
 * in-process loop and prints one JSON line (wall ms, CPU ms, peak RSS, bytes in and out).
 *
 *   node-loop <handler|handler-validate|floor> <list-file> <out-dir> [passes]
 *
 * `handler` is the runtime's default image → PDF handler with its defaults (EXIF orientation, ICC
 * profiles and density always on); `handler-validate` also fully decodes each JPEG; `floor` only
 * reads each file and writes its bytes back (the cost no converter can beat).
 *
 * Every contender writes the same way: one gathered write (`writev`) of its output's parts, as
 * `spot-worker convert` and the local bucket do; the handler's output parts are used when it
 * gives them (its PDF is never joined), the floor writes its one buffer.
 */
import * as fs from 'fs';
import * as path from 'path';

type Convert = (body: Buffer, name: string) => Promise<readonly Uint8Array[]>;

async function contender(mode: string): Promise<Convert> {
  if (mode === 'floor') return async (body) => [body];
  // The compiled runtime (npx projen build:runtime), as the worker runs it.
  const mod = await import(path.join(__dirname, '..', '..', '..', 'worker-runtime', 'lib', 'handlers', 'image-to-pdf', 'index.js'));
  const handler = mod.imageToPdfHandler({ validateDecode: mode === 'handler-validate' });
  const signal = new AbortController().signal;
  return async (body, name) => {
    const out = await handler.handle({ key: `uploads/${name}`, bucket: 'bench', body }, { signal });
    return out.parts ?? [out.body];
  };
}

/** Writes all parts to `file` (writev may write less than asked). */
function writeParts(file: string, parts: readonly Uint8Array[]): number {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const fd = fs.openSync(file, 'w');
  try {
    let rest = [...parts];
    let written = 0;
    while (written < total) {
      const n = fs.writevSync(fd, rest);
      written += n;
      let skip = n;
      while (skip > 0 && rest.length > 0) {
        if (skip >= rest[0].length) { skip -= rest[0].length; rest.shift(); } else { rest[0] = rest[0].subarray(skip); skip = 0; }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

async function main(): Promise<void> {
  const [mode, listFile, outDir, passesArg] = process.argv.slice(2);
  const once = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  // Several passes over the list make a measurement long enough to ride out scheduler noise.
  const files = Array.from({ length: Number(passesArg ?? 1) }, () => once).flat();
  fs.mkdirSync(outDir, { recursive: true });
  const convert = await contender(mode);
  // Warm-up (JIT, lazy loading) on a few files, outside the measurement.
  for (const f of files.slice(0, 3)) writeParts(path.join(outDir, 'warm-up'), await convert(fs.readFileSync(f), path.basename(f)));
  fs.rmSync(path.join(outDir, 'warm-up'), { force: true });
  let bytesIn = 0;
  let bytesOut = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const f of files) {
    const body = fs.readFileSync(f);
    const out = await convert(body, path.basename(f));
    bytesIn += body.length;
    bytesOut += writeParts(path.join(outDir, `${path.basename(f)}.${mode === 'floor' ? 'copy' : 'pdf'}`), out);
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({
    images: files.length, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, peakRssKb: process.resourceUsage().maxRSS, bytesIn, bytesOut,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
