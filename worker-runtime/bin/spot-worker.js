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
// Once a command has returned it is done: a call it gave up on (a drain's cleanup budget) may not
// hold the process beyond 2 s (an unref'd timer: a process with nothing pending exits at once).
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; setTimeout(() => process.exit(code), 2000).unref(); },
  (err) => { process.stderr.write(`spot-worker: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 1; },
);
