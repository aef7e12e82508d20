/**
 * `spot-worker convert`: the image → PDF handler over many local files in one process.
 *
 * Inputs are files or folders (walked recursively; hidden entries skipped). Each output mirrors
 * its input's path relative to the inputs' common parent folder, with `.pdf` appended
 * (`photos/a/x.jpg` → `<out>/a/x.jpg.pdf`), so files with the same name in different folders
 * never collide. Files that are not images by name or by their first bytes (a stray
 * `SOURCES.md`) are skipped with a line saying so; with nothing left to convert the command
 * stops with a usage error. Outputs are written to a temporary name and renamed, so a failure
 * never leaves a partial PDF. Progress goes to stderr (a bar on a terminal, plain lines
 * otherwise), one line per failure too; a summary on stdout; exit 1 if any image failed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CommandSpec, ParsedArgs, UsageError } from './args';
import { isPermanent } from '../core/errors';
import { convertImageToPdfParts, detectFormat, PdfParts, resolveOptions, ResolvedImageToPdfOptions } from '../handlers/image-to-pdf';
import { ProgressDisplay } from '../local-fleet/progress';
import { writeParts } from '../util/gather-write';
import { walkFiles } from '../util/walk-files';

export const spec = {
  name: 'convert',
  positionals: '<files or folders...> --out <dir>',
  summary: 'convert images to PDFs locally (folders are walked recursively)',
  options: {
    'out': { type: 'string', short: 'o', value: '<dir>', help: 'where the PDFs go (required); <out>/<path>.pdf mirrors each input' },
    'validate-decode': { type: 'boolean', help: 'fully decode each JPEG (catches corruption inside the data)' },
    'max-bytes': { type: 'integer', value: '<n>', help: 'refuse files larger than n bytes (default 100 MiB)' },
    'max-pixels': { type: 'integer', value: '<n>', help: 'refuse images of more than n pixels (default 268402689)' },
    'default-dpi': { type: 'number', value: '<n>', max: 100000, help: 'density of images that record none (default 96)' },
    'concurrency': { type: 'integer', value: '<n>', max: 1024, help: 'files converted at once (default: the number of CPUs)' },
  },
} as const satisfies CommandSpec<Record<string, import('./args').OptionSpec>>;

/**
 * Name endings of the formats the handler reads (or names clearly as unsupported); a file with
 * another name is converted only if its first bytes are an image's.
 */
const IMAGE_SUFFIX = /\.(jpe?g|jpe|jfif|png|gif|webp|tiff?|avif|heic|heif|bmp)$/i;
/** Bytes read to recognise a format by content (detectFormat needs at most the first 256). */
const SNIFF_BYTES = 256;

interface Job {
  readonly input: string;
  readonly output: string;
}

export async function run(args: ParsedArgs<typeof spec.options>): Promise<number> {
  const { values, positionals } = args;
  if (positionals.length === 0) throw new UsageError('no input files or folders given');
  if (!values.out) throw new UsageError('--out <dir> is required');
  let options: ResolvedImageToPdfOptions;
  try {
    options = resolveOptions({
      maxBytes: values['max-bytes'],
      maxPixels: values['max-pixels'],
      defaultDpi: values['default-dpi'],
      validateDecode: values['validate-decode'] ?? false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const concurrency = values.concurrency ?? os.availableParallelism();

  const outDir = path.resolve(values.out);
  const started = process.hrtime.bigint();
  const progress = new ProgressDisplay({ label: 'convert', stream: process.stderr });
  const failures: string[] = [];
  const reportFailure = (file: string, reason: string): void => {
    failures.push(file);
    progress.line(`FAILED ${file}: ${reason}`);
  };
  const skipped: string[] = [];
  const reportSkipped = (file: string, reason: string): void => {
    skipped.push(file);
    progress.line(`skipped ${file}: ${reason}`);
  };
  const jobs = await planJobs(positionals, outDir, reportFailure, reportSkipped);
  if (jobs.length === 0) {
    progress.finish();
    throw new UsageError(failures.length > 0
      ? `nothing to convert: ${failures.length} argument(s) could not be read`
      : `nothing to convert: no images in ${positionals.join(', ')}${skipped.length ? ` (${skipped.length} file(s) skipped, not images)` : ''}`);
  }

  let converted = 0;
  let next = 0;
  const failedBefore = failures.length;
  const show = (): void => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const done = converted + failures.length - failedBefore;
    progress.show(done, jobs.length, `${done}/${jobs.length} (${converted} PDF, ${failures.length} failed) · ${(converted / Math.max(seconds, 1e-9)).toFixed(1)} images/s`);
  };
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const reason = await convertOne(job, options);
      if (reason === undefined) converted++;
      else reportFailure(job.input, reason);
      show();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  progress.finish();

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const total = converted + failures.length;
  process.stdout.write(`converted ${converted} of ${total} image(s), ${failures.length} failed`
    + `${skipped.length ? `, ${skipped.length} skipped (not images)` : ''}, in ${seconds.toFixed(2)} s`
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
export async function planJobs(
  args: readonly string[],
  outDir: string,
  onError: (file: string, reason: string) => void,
  onSkip: (file: string, reason: string) => void = () => undefined,
): Promise<Job[]> {
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
  const unique = [...new Set(files)].filter((file) => {
    if (IMAGE_SUFFIX.test(file) || looksLikeImage(file)) return true;
    onSkip(file, 'not an image (neither its name nor its first bytes are an image format\'s)');
    return false;
  });
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

/** True when the file's first bytes are those of an image format (supported or not). */
function looksLikeImage(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(SNIFF_BYTES);
    const n = fs.readSync(fd, head, 0, SNIFF_BYTES, 0);
    const d = detectFormat(head.subarray(0, n));
    return d.format !== undefined || ('unsupported' in d && d.unsupported !== undefined);
  } catch {
    return true; // unreadable: let the conversion report why
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
