#!/usr/bin/env node
/**
 * Keeps the runtime package's version in lockstep with the construct's (docs/releasing.md).
 *   sync   (end of `bump`)   worker-runtime/package.json version := package.json version
 *   reset  (end of `unbump`) worker-runtime/package.json version := 0.0.0, as committed
 */
import * as fs from 'node:fs';

const RUNTIME_PACKAGE_JSON = 'worker-runtime/package.json';
const mode = process.argv[2];
if (mode !== 'sync' && mode !== 'reset') {
  process.stderr.write('usage: node scripts/runtime-version.mjs sync|reset\n');
  process.exit(2);
}
const version = mode === 'sync' ? JSON.parse(fs.readFileSync('package.json', 'utf8')).version : '0.0.0';
const text = fs.readFileSync(RUNTIME_PACKAGE_JSON, 'utf8');
const updated = text.replace(/^( {2}"version": )"[^"]*"/m, `$1"${version}"`);
if (updated === text && !text.includes(`"version": "${version}"`)) {
  process.stderr.write(`runtime-version: no "version" field in ${RUNTIME_PACKAGE_JSON}\n`);
  process.exit(1);
}
fs.writeFileSync(RUNTIME_PACKAGE_JSON, updated);
process.stdout.write(`runtime-version: ${RUNTIME_PACKAGE_JSON} is at ${version}\n`);
