#!/usr/bin/env node
/**
 * Builds the arm64 (Graviton) deployment bundle of the worker runtime (docs/bundle.md) from the
 * runtime's npm package: its compiled JavaScript (worker-runtime/lib, built first by
 * build-lib.mjs) and the dependency versions its package.json declares.
 *
 *   worker-runtime/dist/bundle-arm64/
 *     spot-worker.js       the CLI, bundled by esbuild for Node 22 (sharp left external)
 *     spot-worker.js.map   its source map (with `node --enable-source-maps`, stack traces
 *                          name the TypeScript sources)
 *     node_modules/        sharp and its linux-arm64 binaries (@img/sharp-linux-arm64,
 *                          @img/sharp-libvips-linux-arm64) with sharp's own dependencies
 *     THIRD-PARTY-NOTICES.md  every bundled package, its license (and where libvips' source is)
 *
 * Usage: node worker-runtime/scripts/build-bundle.mjs [--cpu arm64|x64] [--out DIR] [--force]
 *
 * `--cpu x64` builds the same bundle with sharp's linux-x64 binaries into dist/bundle-x64: the
 * boot proof (test/integration/boot, docs/boot.md) deploys it to an x64 machine standing in for
 * an instance. Instances run the arm64 one (the default).
 *
 * Nothing is redone when the inputs are unchanged: the sharp install is cached per version
 * under worker-runtime/dist/.cache, and the bundle is skipped when the hash of the compiled
 * runtime, its package.json, the lockfile and these scripts matches the last build.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLib, LIB_DIR, RUNTIME_DIR } from './build-lib.mjs';
import { bundledPackageDirs, installedPackageDirs, writeNotices } from './third-party-notices.mjs';

const REPO_ROOT = path.resolve(RUNTIME_DIR, '..');
const SCRIPTS_DIR = path.join(RUNTIME_DIR, 'scripts');
const RUNTIME_PACKAGE = JSON.parse(fs.readFileSync(path.join(RUNTIME_DIR, 'package.json'), 'utf8'));
const CACHE_DIR = path.join(RUNTIME_DIR, 'dist', '.cache');
const NODE_TARGET = 'node22';
/** CPUs sharp publishes linux-glibc binaries for that a bundle may target. */
const CPUS = ['arm64', 'x64'];
let PLATFORM = { os: 'linux', cpu: 'arm64', libc: 'glibc' };
/** Command modules the CLI dispatcher requires lazily (cli/main.ts). */
const COMMAND_MODULE = /^\.\/([a-z-]+)-command$/;

function parseArgs(argv) {
  // The sharp the runtime package depends on (exact, so the bundle and `npm i` of the package agree).
  const sharpVersion = RUNTIME_PACKAGE.dependencies?.sharp;
  const args = { out: undefined, cpu: 'arm64', force: false, sharpVersion };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sharp-version') {
      // Accepted for older callers; must name the package's own version.
      if (argv[++i] !== sharpVersion) fail(`--sharp-version ${argv[i]} differs from worker-runtime/package.json's sharp ${sharpVersion}`);
    } else if (a === '--out') args.out = path.resolve(argv[++i]);
    else if (a === '--cpu') {
      args.cpu = argv[++i];
      if (!CPUS.includes(args.cpu)) fail(`--cpu ${args.cpu ?? ''} is not one of ${CPUS.join(', ')}`);
    }
    else if (a === '--force') args.force = true;
    else fail(`unknown argument '${a}' (expected [--cpu arm64|x64] [--out DIR] [--force])`);
  }
  args.out ??= path.join(RUNTIME_DIR, 'dist', `bundle-${args.cpu}`);
  if (!sharpVersion || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(sharpVersion)) {
    fail(`worker-runtime/package.json must depend on an exact sharp version such as 0.34.5, got '${sharpVersion ?? ''}' (set it in .projenrc.ts)`);
  }
  return args;
}

function fail(message) {
  process.stderr.write(`build-bundle: ${message}\n`);
  process.exit(1);
}

function log(message) {
  process.stdout.write(`build-bundle: ${message}\n`);
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out.sort();
}

function dirSize(dir) {
  return listFiles(dir).reduce((n, f) => n + fs.statSync(f).size, 0);
}

function mib(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Everything the bundle's content depends on. */
function inputHash(sharpVersion, esbuildVersion) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ sharpVersion, esbuildVersion, NODE_TARGET, PLATFORM }));
  const lib = listFiles(LIB_DIR).filter((f) => f.endsWith('.js'));
  const files = [...lib, ...listFiles(SCRIPTS_DIR), path.join(RUNTIME_DIR, 'package.json'), path.join(REPO_ROOT, 'package-lock.json')];
  for (const f of files) {
    if (!fs.existsSync(f)) continue;
    h.update(path.relative(REPO_ROOT, f));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/**
 * sharp@version installed for linux-<cpu>-glibc (npm picks the platform's optional packages
 * from --os/--cpu/--libc), cached per version. Install scripts are skipped: sharp's only
 * builds from source when no prebuilt binary fits, and the prebuilt one is what we want.
 */
function sharpForPlatform(version) {
  const target = `${PLATFORM.os}-${PLATFORM.cpu}`;
  const dir = path.join(CACHE_DIR, `sharp-${version}-${PLATFORM.os}-${PLATFORM.cpu}-${PLATFORM.libc}`);
  const modules = path.join(dir, 'node_modules');
  const installed = (name) => {
    try { return JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')).version; } catch { return undefined; }
  };
  if (installed('sharp') === version && installed(`@img/sharp-${target}`) && installed(`@img/sharp-libvips-${target}`)) {
    log(`sharp ${version} for ${target}: cached in ${path.relative(REPO_ROOT, dir)}`);
    return modules;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  // Its own package.json makes the folder an npm project of its own, outside the workspace.
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: `spot-worker-sharp-${PLATFORM.cpu}`, private: true }) + '\n');
  log(`installing sharp ${version} for ${target} (npm)...`);
  try {
    execFileSync('npm', [
      'install', `sharp@${version}`,
      `--os=${PLATFORM.os}`, `--cpu=${PLATFORM.cpu}`, `--libc=${PLATFORM.libc}`,
      '--prefix', tmp, '--workspaces=false', '--omit=dev', '--ignore-scripts',
      '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error',
    ], { cwd: tmp, stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    fail(`npm could not install sharp@${version} for ${target} (${e.message}); the bundle needs the npm registry once per sharp version`);
  }
  const tmpModules = path.join(tmp, 'node_modules');
  for (const pkg of ['sharp', `@img/sharp-${target}`, `@img/sharp-libvips-${target}`]) {
    if (!fs.existsSync(path.join(tmpModules, pkg, 'package.json'))) {
      fs.rmSync(tmp, { recursive: true, force: true });
      fail(`npm did not install ${pkg} for ${target}; check that sharp ${version} publishes ${target} binaries`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return modules;
}

/**
 * Resolves each command module the dispatcher requires. A command whose file does not exist
 * yet becomes a module that fails with a clear message when invoked, and the build says so.
 */
function commandModules(missing) {
  return {
    name: 'spot-worker-commands',
    setup(build) {
      build.onResolve({ filter: COMMAND_MODULE }, (args) => {
        if (path.basename(args.importer) !== 'main.js') return undefined;
        const file = path.join(args.resolveDir, `${args.path}.js`);
        if (fs.existsSync(file)) return undefined;
        missing.push(args.path);
        return { path: args.path, namespace: 'missing-command' };
      });
      build.onLoad({ filter: /.*/, namespace: 'missing-command' }, (args) => {
        const name = COMMAND_MODULE.exec(args.path)[1];
        return {
          loader: 'js',
          contents: `throw new Error(${JSON.stringify(`command '${name}' is not part of this bundle (no ${args.path}.js when it was built)`)});`,
        };
      });
    },
  };
}

/**
 * The bundle's entry: runs the CLI with the process arguments and sets the exit code. Once a
 * command has returned it is done: a call it gave up on (a drain's cleanup budget) may not hold
 * the process beyond 2 s (an unref'd timer, so a process with nothing pending exits at once).
 */
const ENTRY = `
const { main } = require('./cli/main');
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; setTimeout(() => process.exit(code), 2000).unref(); },
  (err) => { process.stderr.write('spot-worker: ' + (err && err.stack ? err.stack : err) + '\\n'); process.exitCode = 1; },
);
`;

async function bundleCli(esbuild, outFile) {
  const missing = [];
  const result = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: LIB_DIR, sourcefile: 'bundle-entry.js', loader: 'js' },
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: NODE_TARGET,
    format: 'cjs',
    // sharp loads a native addon chosen at run time; it ships beside the bundle in node_modules.
    external: ['sharp'],
    minify: true,
    // Error classes and loggers print constructor names.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
    plugins: [commandModules(missing)],
    metafile: true,
  });
  if (result.errors.length) fail('esbuild failed');
  for (const m of missing) log(`WARNING: ${m}.js does not exist yet; that command fails with a clear error in this bundle`);
  return result.metafile;
}

function copyModules(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from)) {
    // npm's bookkeeping, not needed at run time.
    if (entry === '.package-lock.json' || entry === '.bin') continue;
    fs.cpSync(path.join(from, entry), path.join(to, entry), { recursive: true, dereference: true });
  }
}

function printSizes(out) {
  const js = fs.statSync(path.join(out, 'spot-worker.js')).size;
  const modules = path.join(out, 'node_modules');
  const parts = [];
  for (const entry of fs.readdirSync(modules).sort()) {
    const p = path.join(modules, entry);
    const names = entry.startsWith('@') ? fs.readdirSync(p).sort().map((n) => `${entry}/${n}`) : [entry];
    for (const n of names) parts.push(`${n} ${mib(dirSize(path.join(modules, n)))}`);
  }
  log(`spot-worker.js ${mib(js)}; node_modules ${mib(dirSize(modules))} (${parts.join(', ')}); total ${mib(dirSize(out))}`);
}

async function mainBuild() {
  const args = parseArgs(process.argv.slice(2));
  PLATFORM = { ...PLATFORM, cpu: args.cpu };
  buildLib();
  const require = createRequire(path.join(REPO_ROOT, 'package.json'));
  const esbuild = require('esbuild');
  const hash = inputHash(args.sharpVersion, esbuild.version);
  const stampFile = path.join(CACHE_DIR, `${path.basename(args.out)}.inputs-sha256`);
  const upToDate = !args.force
    && fs.existsSync(path.join(args.out, 'spot-worker.js'))
    && fs.existsSync(path.join(args.out, 'node_modules', 'sharp', 'package.json'))
    && fs.existsSync(path.join(args.out, 'THIRD-PARTY-NOTICES.md'))
    && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash;
  if (upToDate) {
    log(`${path.relative(REPO_ROOT, args.out)} is up to date (inputs unchanged)`);
    printSizes(args.out);
    return;
  }
  const started = Date.now();
  const sharpModules = sharpForPlatform(args.sharpVersion);
  // Built beside the target and swapped in, so a failed build never leaves half a bundle.
  const staging = `${args.out}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const metafile = await bundleCli(esbuild, path.join(staging, 'spot-worker.js'));
    copyModules(sharpModules, path.join(staging, 'node_modules'));
    const packages = [...bundledPackageDirs(metafile, process.cwd()), ...installedPackageDirs(path.join(staging, 'node_modules'))];
    const n = writeNotices(path.join(staging, 'THIRD-PARTY-NOTICES.md'), packages, RUNTIME_PACKAGE.name);
    log(`THIRD-PARTY-NOTICES.md: ${n} packages`);
  } catch (e) {
    fs.rmSync(staging, { recursive: true, force: true });
    fail(e && e.message ? e.message : String(e));
  }
  fs.rmSync(args.out, { recursive: true, force: true });
  fs.renameSync(staging, args.out);
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  fs.writeFileSync(stampFile, hash + '\n');
  log(`built ${path.relative(REPO_ROOT, args.out)} in ${((Date.now() - started) / 1000).toFixed(1)} s (node ${NODE_TARGET.slice(4)}, linux-${PLATFORM.cpu}, sharp ${args.sharpVersion})`);
  printSizes(args.out);
}

await mainBuild();
