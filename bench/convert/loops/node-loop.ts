/**
 * One contender of the convert benchmark, in its own process: converts every file of a list in an
 * in-process loop and prints one JSON line (wall ms, CPU ms, peak RSS, bytes in and out).
 *
 *   node-loop <handler|handler-validate|floor> <list-file> <out-dir> [passes]
 *
 * `handler` is the runtime's default image → PDF handler with its defaults (EXIF orientation, ICC
 * profiles and density always on); `handler-validate` also fully decodes each JPEG; `floor` only
 * reads each file and writes its bytes back (the cost no converter can beat).
 */
import * as fs from 'fs';
import * as path from 'path';

type Convert = (body: Buffer, name: string) => Promise<Uint8Array>;

async function contender(mode: string): Promise<Convert> {
  if (mode === 'floor') return async (body) => body;
  // The compiled runtime (npx projen build:runtime), as the worker runs it.
  const mod = await import(path.join(__dirname, '..', '..', '..', 'worker-runtime', 'lib', 'handlers', 'image-to-pdf', 'index.js'));
  const handler = mod.imageToPdfHandler({ validateDecode: mode === 'handler-validate' });
  const signal = new AbortController().signal;
  return async (body, name) => (await handler.handle({ key: `uploads/${name}`, bucket: 'bench', body }, { signal })).body;
}

async function main(): Promise<void> {
  const [mode, listFile, outDir, passesArg] = process.argv.slice(2);
  const once = fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  // Several passes over the list make a measurement long enough to ride out scheduler noise.
  const files = Array.from({ length: Number(passesArg ?? 1) }, () => once).flat();
  fs.mkdirSync(outDir, { recursive: true });
  const convert = await contender(mode);
  // Warm-up (JIT, lazy loading) on a few files, outside the measurement.
  for (const f of files.slice(0, 3)) await convert(fs.readFileSync(f), path.basename(f));
  let bytesIn = 0;
  let bytesOut = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const f of files) {
    const body = fs.readFileSync(f);
    const out = await convert(body, path.basename(f));
    fs.writeFileSync(path.join(outDir, `${path.basename(f)}.${mode === 'floor' ? 'copy' : 'pdf'}`), out);
    bytesIn += body.length;
    bytesOut += out.length;
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
