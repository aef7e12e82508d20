/**
 * `spot-worker convert`: the image → PDF handler over many local files in one process.
 *
 * Inputs are files or folders (walked recursively; hidden entries skipped). Each output mirrors
 * its input's path relative to the inputs' common parent folder, with `.pdf` appended
 * (`photos/a/x.jpg` → `<out>/a/x.jpg.pdf`), so files with the same name in different folders
 * never collide. Outputs are written to a temporary name and renamed, so a failure never
 * leaves a partial PDF. One line per failure on stderr, a summary on stdout, exit 1 if any failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { isPermanent } from '../core/errors';
import { convertImageToPdfParts, PdfParts, resolveOptions, ResolvedImageToPdfOptions } from '../handlers/image-to-pdf';
import { writeParts } from '../util/gather-write';
import { walkFiles } from '../util/walk-files';

export const usage = '  spot-worker convert <files or folders...> --out <dir> [--validate-decode] [--max-bytes N] [--max-pixels N]\n'
  + '                      [--default-dpi N] [--concurrency N]   convert images to PDFs locally (folders are walked recursively)';

interface Job {
  readonly input: string;
  readonly output: string;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'out': { type: 'string', short: 'o' },
        'validate-decode': { type: 'boolean' },
        'max-bytes': { type: 'string' },
        'max-pixels': { type: 'string' },
        'default-dpi': { type: 'string' },
        'concurrency': { type: 'string' },
        'help': { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`usage:\n${usage}\n`);
    return 0;
  }
  if (positionals.length === 0) return usageError('no input files or folders given');
  if (!values.out) return usageError('--out <dir> is required');

  let options: ResolvedImageToPdfOptions;
  let concurrency: number;
  try {
    options = resolveOptions({
      maxBytes: numberOption('--max-bytes', values['max-bytes']),
      maxPixels: numberOption('--max-pixels', values['max-pixels']),
      defaultDpi: numberOption('--default-dpi', values['default-dpi']),
      validateDecode: values['validate-decode'] ?? false,
    });
    concurrency = numberOption('--concurrency', values.concurrency) ?? os.availableParallelism();
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new RangeError(`--concurrency must be a positive integer, got ${values.concurrency}`);
  } catch (err) {
    return usageError((err as Error).message);
  }

  const outDir = path.resolve(values.out);
  const started = process.hrtime.bigint();
  const failures: string[] = [];
  const reportFailure = (file: string, reason: string): void => {
    failures.push(file);
    process.stderr.write(`FAILED ${file}: ${reason}\n`);
  };
  const jobs = await planJobs(positionals, outDir, reportFailure);

  let converted = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const reason = await convertOne(job, options);
      if (reason === undefined) converted++;
      else reportFailure(job.input, reason);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(jobs.length, 1)) }, worker));

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const total = converted + failures.length;
  process.stdout.write(`converted ${converted} of ${total} file(s), ${failures.length} failed, in ${seconds.toFixed(2)} s`
    + ` (${(converted / Math.max(seconds, 1e-9)).toFixed(1)} images/s) -> ${outDir}\n`);
  return failures.length > 0 ? 1 : 0;
}

/** Converts one file; returns undefined on success, else the reason it failed. */
async function convertOne(job: Job, options: ResolvedImageToPdfOptions): Promise<string | undefined> {
  let bytes: Buffer;
  try {
    const size = (await fs.promises.stat(job.input)).size;
    if (size > options.maxBytes) return `too-large: file is ${size} bytes, over the limit of ${options.maxBytes}`;
    bytes = await fs.promises.readFile(job.input);
  } catch (err) {
    return `cannot read: ${(err as Error).message}`;
  }
  let pdf: PdfParts;
  try {
    pdf = await convertImageToPdfParts(bytes, options);
  } catch (err) {
    if (isPermanent(err)) return `${err.kind}: ${err.message}`;
    return `unexpected error: ${(err as Error).stack ?? String(err)}`;
  }
  const temporary = `${job.output}.${process.pid}.tmp`;
  try {
    await fs.promises.mkdir(path.dirname(job.output), { recursive: true });
    // Gathered write: a JPEG's bytes go from the read buffer to the file without another copy.
    const file = await fs.promises.open(temporary, 'w');
    try {
      await writeParts(file, pdf.parts);
    } finally {
      await file.close();
    }
    await fs.promises.rename(temporary, job.output);
  } catch (err) {
    await fs.promises.rm(temporary, { force: true });
    return `cannot write ${job.output}: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * Expands the arguments into (input, output) pairs. Outputs mirror each input's path relative
 * to the common parent of all arguments: the mapping is injective, so no two inputs share an output.
 */
export async function planJobs(args: readonly string[], outDir: string, onError: (file: string, reason: string) => void): Promise<Job[]> {
  const files: string[] = [];
  const roots: string[] = [];
  for (const arg of args) {
    const full = path.resolve(arg);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch (err) {
      onError(arg, `cannot read: ${(err as Error).message}`);
      continue;
    }
    if (stat.isDirectory()) {
      roots.push(full);
      // Hidden entries skipped; never re-read our own outputs.
      const found = await walkFiles(full, {
        skipHidden: true,
        skipDirs: [realOrSelf(outDir)],
        onError: (p, err, what) => onError(p, `${what === 'list' ? 'cannot list folder' : 'cannot read'}: ${err.message}`),
      });
      files.push(...found.map((f) => f.path));
    } else {
      roots.push(path.dirname(full));
      files.push(full);
    }
  }
  const base = commonParent(roots);
  const unique = [...new Set(files)];
  return unique.map((input) => ({ input, output: path.join(outDir, `${path.relative(base, input)}.pdf`) }));
}

/** The real path of a folder that may not exist yet. */
function realOrSelf(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

function commonParent(dirs: readonly string[]): string {
  if (dirs.length === 0) return path.sep;
  let parts = dirs[0].split(path.sep);
  for (const dir of dirs.slice(1)) {
    const other = dir.split(path.sep);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join(path.sep) || path.sep;
}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${name} must be a number, got '${raw}'`);
  return n;
}

function usageError(message: string): number {
  process.stderr.write(`spot-worker convert: ${message}\nusage:\n${usage}\n`);
  return 2;
}
