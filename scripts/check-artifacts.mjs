#!/usr/bin/env node
/**
 * Checks what a packaging step wrote into dist/ (docs/releasing.md); exits 1 saying what is wrong.
 *   js      dist/js: the construct's tarball holds the arm64 bundle and only what users need;
 *           the runtime's tarball holds the compiled CLI, typings and no sources, at the same version
 *   python  dist/python: the wheel embeds the construct's tarball, and that holds the bundle
 *   java    dist/java: the jar embeds it likewise
 *   go      dist/go: the Go module embeds it likewise
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const NAME = 'cdk-spot-worker-fleet';
const RUNTIME = JSON.parse(fs.readFileSync('worker-runtime/package.json', 'utf8'));
const VERSION = JSON.parse(fs.readFileSync('package.json', 'utf8')).version;
const BUNDLE = 'package/worker-runtime/dist/bundle-arm64/';
/** The bundle files the construct needs at synth time and the instances at run time. */
const BUNDLE_FILES = ['spot-worker.js', 'THIRD-PARTY-NOTICES.md', 'node_modules/sharp/package.json',
  'node_modules/@img/sharp-linux-arm64/package.json', 'node_modules/@img/sharp-libvips-linux-arm64/package.json'];
/** Everything else the construct's tarball may hold (top-level names under package/). */
const CONSTRUCT_ALLOWED = ['package.json', 'README.md', 'LICENSE', 'API.md', 'CHANGELOG.md', '.jsii', '.jsii.tabl.json', 'lib', 'worker-runtime'];
const RUNTIME_ALLOWED = ['package.json', 'README.md', 'LICENSE', 'bin', 'lib'];

const problems = [];
const problem = (msg) => problems.push(msg);

function tarEntries(tgz) {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').filter(Boolean);
}

function checkConstructTarball(tgz, where) {
  const entries = tarEntries(tgz);
  for (const f of BUNDLE_FILES) if (!entries.includes(BUNDLE + f)) problem(`${where}: ${BUNDLE}${f} is missing (the arm64 bundle must be inside)`);
  for (const e of entries) {
    const top = e.replace(/^package\//, '').split('/')[0];
    if (!CONSTRUCT_ALLOWED.includes(top)) problem(`${where}: unexpected ${e} (not something a user needs; leave it out in .projenrc.ts)`);
    if (top === 'worker-runtime' && !e.startsWith(BUNDLE)) problem(`${where}: unexpected ${e} (only worker-runtime/dist/bundle-arm64 ships)`);
    if (top === 'lib' && !/\.(js|d\.ts)$/.test(e)) problem(`${where}: unexpected ${e} in lib/`);
  }
  return entries.length;
}

function checkRuntimeTarball(tgz) {
  const entries = tarEntries(tgz);
  for (const f of ['bin/spot-worker.js', 'lib/cli/main.js', 'lib/index.js', 'lib/index.d.ts', 'lib/deploy.d.ts', 'README.md', 'LICENSE']) {
    if (!entries.includes(`package/${f}`)) problem(`${path.basename(tgz)}: package/${f} is missing`);
  }
  for (const e of entries) {
    const rel = e.replace(/^package\//, '');
    if (!RUNTIME_ALLOWED.includes(rel.split('/')[0])) problem(`${path.basename(tgz)}: unexpected ${e}`);
    if (rel.startsWith('lib/') && !/\.(js|d\.ts)$/.test(rel)) problem(`${path.basename(tgz)}: unexpected ${e} (lib ships .js and .d.ts only)`);
  }
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
  if (pkg.version !== VERSION) problem(`${path.basename(tgz)}: version ${pkg.version}, the construct's is ${VERSION} (they move in lockstep)`);
  if (pkg.private) problem(`${path.basename(tgz)}: package.json is private`);
  return entries.length;
}

/** Extracts the construct tarballs embedded in a zip (wheel, jar) and checks each. */
function checkEmbeddedInZip(zip) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'check-artifacts-'));
  try {
    // Wheels and jars are zip files; Python's zipfile is on every machine that builds the wheel.
    const extract = 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist():\n'
      + '    if n.endswith(".tgz"):\n        z.extract(n, sys.argv[2]); print(n)\n';
    const names = execFileSync('python3', ['-c', extract, zip, tmp], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (names.length === 0) problem(`${path.basename(zip)}: embeds no construct tarball`);
    for (const n of names) checkConstructTarball(path.join(tmp, n), `${path.basename(zip)}!${n}`);
    return names.length;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function findFiles(dir, test) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f)).filter((f) => test(f) && fs.statSync(f).isFile());
}

function need(files, what) {
  if (files.length === 0) problem(`no ${what} (did the packaging step run?)`);
  return files;
}

const target = process.argv[2];
const summary = [];
switch (target) {
  case 'js': {
    const construct = path.join('dist', 'js', `${NAME}@${VERSION}.jsii.tgz`);
    const runtime = path.join('dist', 'js', `${RUNTIME.name}-${VERSION}.tgz`);
    for (const f of need([construct].filter(fs.existsSync), construct)) summary.push(`${f}: ${checkConstructTarball(f, path.basename(f))} entries`);
    for (const f of need([runtime].filter(fs.existsSync), runtime)) summary.push(`${f}: ${checkRuntimeTarball(f)} entries`);
    break;
  }
  case 'python':
    for (const f of need(findFiles(path.join('dist', 'python'), (p) => p.endsWith('.whl')), 'wheel in dist/python')) summary.push(`${f}: ${checkEmbeddedInZip(f)} embedded tarball(s)`);
    break;
  case 'java':
    for (const f of need(findFiles(path.join('dist', 'java'), (p) => /\.jar$/.test(p) && !/-(sources|javadoc)\.jar$/.test(p)), 'jar in dist/java')) {
      summary.push(`${f}: ${checkEmbeddedInZip(f)} embedded tarball(s)`);
    }
    break;
  case 'go':
    for (const f of need(findFiles(path.join('dist', 'go'), (p) => p.endsWith('.tgz')), 'embedded tarball in dist/go')) summary.push(`${f}: ${checkConstructTarball(f, f)} entries`);
    break;
  default:
    process.stderr.write('usage: node scripts/check-artifacts.mjs js|python|java|go\n');
    process.exit(2);
}
if (problems.length > 0) {
  process.stderr.write(`check-artifacts ${target}: FAILED\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`check-artifacts ${target}: ok\n${summary.map((s) => `  ${s}`).join('\n')}\n`);
