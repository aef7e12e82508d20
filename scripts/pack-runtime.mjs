#!/usr/bin/env node
/**
 * Packs the worker runtime's npm package (worker-runtime/, cdk-spot-worker-fleet-runtime) into
 * dist/js beside the construct's tarball. Compiles it first (incremental, stale outputs removed),
 * so the tarball holds exactly what the arm64 bundle was built from.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildLib } from '../worker-runtime/scripts/build-lib.mjs';

const out = path.resolve('dist', 'js');
buildLib();
fs.mkdirSync(out, { recursive: true });
const json = execFileSync('npm', ['pack', './worker-runtime', '--pack-destination', out, '--json', '--workspaces=false', '--loglevel=error'], { encoding: 'utf8' });
const [{ filename, size, entryCount }] = JSON.parse(json);
process.stdout.write(`pack-runtime: dist/js/${path.basename(filename)} (${entryCount} files, ${(size / 1024).toFixed(0)} KiB)\n`);
