// Prints the closing line `N passed, N failed, N skipped`: jest's tests, the bindings checks, and
// each whole-tree check (type check, eslint) given by its exit code. Skipped counts jest's skipped
// tests (a suite whose peer is missing outside CI) and todos, so nothing goes unrun unseen.
// usage: summarize-tests.js <jest.json> <bindings.txt> [exit code ...]
'use strict';
const fs = require('fs');
const [reportPath, bindingsReport, ...checkRcs] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
  passed = r.numPassedTests;
  // Suites that fail to run contribute no test results but must still count as failures.
  failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  if (r.numTotalTests === 0) failed += 1;
  skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
} catch (e) {
  console.error(`no jest report at ${reportPath}: ${e.message}`);
  failed += 1;
}
for (const rc of checkRcs) {
  if (rc === '0') passed += 1; else failed += 1;
}
// scripts/test-bindings.sh writes "<passed> <failed>" (one check per language, README examples, API.md).
if (bindingsReport !== undefined) {
  const m = /^(\d+) (\d+)$/.exec(fs.existsSync(bindingsReport) ? fs.readFileSync(bindingsReport, 'utf8').trim() : '');
  if (m) { passed += Number(m[1]); failed += Number(m[2]); } else { console.error(`no bindings report at ${bindingsReport}`); failed += 1; }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
