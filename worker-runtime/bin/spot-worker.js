#!/usr/bin/env node
// Thin launcher: runs the compiled CLI, compiling it first when this checkout has not yet.
'use strict';
const path = require('path');
const fs = require('fs');
const root = path.join(__dirname, '..');
const entry = path.join(root, 'lib', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  const { execFileSync } = require('child_process');
  const tsc = require.resolve('typescript/bin/tsc');
  process.stderr.write('spot-worker: compiling the runtime once (worker-runtime/lib)...\n');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`spot-worker: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
