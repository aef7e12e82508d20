#!/usr/bin/env node
// The `spot-worker` command: runs the compiled CLI (lib/, shipped in the npm package).
'use strict';
const path = require('path');
const entry = path.join(__dirname, '..', 'lib', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    // Only in a clone of the repository, before the runtime was compiled.
    process.stderr.write(`spot-worker: ${entry} is missing; in a clone of cdk-spot-worker-fleet run: npx projen build:runtime\n`);
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`spot-worker: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
