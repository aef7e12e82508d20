#!/usr/bin/env node
/**
 * Compiles the worker runtime (worker-runtime/src -> worker-runtime/lib), the JavaScript its npm
 * package ships and its arm64 bundle is built from. Cached: with the sources, tsconfig and
 * package.json unchanged since the last build (same hash) tsc is not started; otherwise it
 * runs incrementally. Outputs whose source file is gone (a renamed or deleted module)
 * are removed, so neither the package nor the bundle carries stale modules.
 *
 * Usage: node worker-runtime/scripts/build-lib.mjs     (also imported by build-bundle.mjs)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const RUNTIME_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LIB_DIR = path.join(RUNTIME_DIR, 'lib');
const SRC_DIR = path.join(RUNTIME_DIR, 'src');
const OUTPUT = /(\.d\.ts|\.js|\.js\.map)$/;
const STAMP = path.join(LIB_DIR, '.inputs-sha256');

function listFiles(dir) {
  return fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile()).sort();
}

function inputHash() {
  const h = createHash('sha256');
  for (const f of [...listFiles(SRC_DIR), path.join(RUNTIME_DIR, 'tsconfig.json'), path.join(RUNTIME_DIR, 'package.json')]) {
    h.update(path.relative(RUNTIME_DIR, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

export function buildLib() {
  const hash = inputHash();
  if (fs.existsSync(path.join(LIB_DIR, 'cli', 'main.js')) && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === hash) {
    process.stdout.write('build-lib: worker-runtime/lib is up to date (sources unchanged)\n');
    return;
  }
  const tsc = createRequire(path.join(RUNTIME_DIR, '..', 'package.json')).resolve('typescript/bin/tsc');
  const started = Date.now();
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(RUNTIME_DIR, 'tsconfig.json')], { stdio: 'inherit' });
  } catch {
    process.stderr.write('build-lib: the worker runtime did not compile (errors above)\n');
    process.exit(1);
  }
  const removed = pruneOrphans(LIB_DIR);
  fs.writeFileSync(STAMP, hash + '\n');
  process.stdout.write(`build-lib: worker-runtime/lib up to date in ${((Date.now() - started) / 1000).toFixed(1)} s`
    + (removed ? ` (removed ${removed} stale file(s))` : '') + '\n');
}

function pruneOrphans(dir) {
  let removed = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed += pruneOrphans(full);
      if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
    } else if (OUTPUT.test(entry.name)) {
      const source = path.join(SRC_DIR, path.relative(LIB_DIR, full)).replace(OUTPUT, '.ts');
      if (!fs.existsSync(source)) {
        fs.rmSync(full);
        removed++;
      }
    }
  }
  return removed;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) buildLib();
