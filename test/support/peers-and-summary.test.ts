/**
 * Issue 11, item 11: the test command's closing line counts skips (`N passed, N failed, N
 * skipped`), and under CI=true a suite whose peer is missing fails instead of being skipped.
 * Runs jest itself on a fixture suite (test/support/fixtures/peer-missing.fixture.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const JEST = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const SUMMARIZE = path.join(ROOT, 'scripts', 'summarize-tests.js');

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peers-summary-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the fixture suite with the given CI value; returns jest's exit code and its JSON report's path. */
function runFixture(ci: string | undefined): { status: number | null; report: string; output: string } {
  const report = path.join(dir, `jest-${ci ?? 'local'}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, SPOT_WORKER_TEST_ABSENT_PEER: path.join(dir, 'no-such-peer') };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  const run = spawnSync(process.execPath, [JEST, '--rootDir', ROOT, '--ci', '--coverage=false', '--reporters', 'default',
    '--testMatch', '<rootDir>/test/support/fixtures/peer-missing.fixture.ts', '--json', '--outputFile', report], { env, encoding: 'utf8', timeout: 100_000 });
  return { status: run.status, report, output: `${run.stdout}${run.stderr}` };
}

function summarize(...args: string[]): string {
  const run = spawnSync(process.execPath, [SUMMARIZE, ...args], { encoding: 'utf8' });
  return run.stdout.trim();
}

test('under CI=true a suite whose peer is missing fails, naming the peer', () => {
  const run = runFixture('true');
  expect(run.status).not.toBe(0);
  expect(run.output).toContain('missing peer(s) SPOT_WORKER_TEST_ABSENT_PEER');
  const r = JSON.parse(fs.readFileSync(run.report, 'utf8'));
  expect(r.numFailedTests).toBe(1);
  expect(summarize(run.report)).toBe('1 passed, 1 failed, 1 skipped');
});

test('outside CI the same suite is skipped, and the closing line counts the skip and the todo', () => {
  const run = runFixture(undefined);
  expect(run.status).toBe(0);
  expect(run.output).toContain("SKIPPED 'a suite whose peer is absent'");
  expect(summarize(run.report)).toBe('1 passed, 0 failed, 2 skipped');
});

test('the closing line adds the bindings report and the whole-tree checks to the jest counts', () => {
  const report = path.join(dir, 'synthetic.json');
  fs.writeFileSync(report, JSON.stringify({
    numPassedTests: 5, numFailedTests: 1, numPendingTests: 2, numTodoTests: 1, numRuntimeErrorTestSuites: 0, numTotalTests: 9,
  }));
  const bindings = path.join(dir, 'bindings.txt');
  fs.writeFileSync(bindings, '4 1\n');
  expect(summarize(report, bindings, '0', '1')).toBe('10 passed, 3 failed, 3 skipped');
});
