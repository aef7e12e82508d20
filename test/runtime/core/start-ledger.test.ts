/** The start ledger: starts counted per window in a real directory, pruned, kept across processes. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  ledgerDirectory, markedUnhealthyWithin, recordStart, rememberMarkedUnhealthy,
} from '../../../worker-runtime/src/core/start-ledger';

describe('start ledger', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-ledger-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('counts starts within the window, this one included, and prunes older lines from the file', () => {
    const t0 = 1_800_000_000_000;
    expect(recordStart(dir, 600, t0).count).toBe(1);
    expect(recordStart(dir, 600, t0 + 100_000).count).toBe(2);
    expect(recordStart(dir, 600, t0 + 200_000).count).toBe(3);
    // 601 s after the first: it has left the window.
    const { count, file } = recordStart(dir, 600, t0 + 601_000);
    expect(count).toBe(3);
    expect(fs.readFileSync(file, 'utf8')).toBe([t0 + 100_000, t0 + 200_000, t0 + 601_000].map((t) => `${t}\n`).join(''));
  });

  test('makes a missing directory; lines that do not parse are dropped, not counted', () => {
    const nested = path.join(dir, 'a', 'b');
    expect(recordStart(nested, 600, 1_800_000_000_000).count).toBe(1);
    fs.appendFileSync(path.join(nested, 'starts'), 'garbage\n\n-5\n');
    expect(recordStart(nested, 600, 1_800_000_001_000).count).toBe(2);
  });

  test('an unwritable place throws (the caller starts anyway, uncounted)', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => recordStart(path.join(file, 'sub'), 600)).toThrow();
  });

  test('the unhealthy mark holds for one window', () => {
    const t0 = 1_800_000_000_000;
    expect(markedUnhealthyWithin(dir, 600, t0)).toBe(false);
    rememberMarkedUnhealthy(dir, t0);
    expect(markedUnhealthyWithin(dir, 600, t0 + 599_000)).toBe(true);
    expect(markedUnhealthyWithin(dir, 600, t0 + 601_000)).toBe(false);
  });

  test("directory: the variable, else systemd's STATE_DIRECTORY (first of several), else none", () => {
    expect(ledgerDirectory('/x', { STATE_DIRECTORY: '/var/lib/spot-worker' })).toBe('/x');
    expect(ledgerDirectory(undefined, { STATE_DIRECTORY: '/var/lib/spot-worker:/var/lib/other' })).toBe('/var/lib/spot-worker');
    expect(ledgerDirectory(undefined, {})).toBeUndefined();
  });
});
