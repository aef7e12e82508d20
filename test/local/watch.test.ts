/** `spot-worker local --watch`: a file dropped into the watched folder is converted as it arrives. */
import { mkdirSync, mkdtempSync, existsSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Capture, goodJpeg } from './support/run-fixtures';
import { runLocal } from '../../worker-runtime/src/local-fleet/local-run';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('--watch picks up a dropped file, converts it, and ends cleanly when stopped', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'local-watch-'));
  try {
    const images = path.join(dir, 'inbox');
    mkdirSync(images);
    const out = path.join(dir, 'out');
    const stop = new AbortController();
    const stdout = new Capture();
    const running = runLocal({ images, out, watch: true, signal: stop.signal, stdout, tty: false, scaleToZeroAfterMinutes: 2, timeoutSeconds: 60 });

    await sleep(800);
    mkdirSync(path.join(images, 'later'));
    writeFileSync(path.join(images, 'later', 'dropped in.jpg'), await goodJpeg(3));
    const pdf = path.join(out, 'bucket', 'processed', 'later', 'dropped in.jpg.pdf');
    const deadline = Date.now() + 40_000;
    while (!existsSync(pdf) && Date.now() < deadline) await sleep(200);
    expect(existsSync(pdf)).toBe(true);

    stop.abort();
    const { report, exitCode } = await running;
    expect(exitCode).toBe(0);
    expect(report).toMatchObject({ images: 1, pdfs: 1, unaccounted: [], fleetAtZero: true, endedBy: 'stopped' });
    // The dropped file's upload event wakes the fleet (the construct's wake on upload), not the next metric datapoint.
    expect(report.scalingEvents[0]).toMatchObject({ from: 0, to: 1, reason: 'upload-wake' });
    expect(stdout.text.trim().split('\n').pop()).toMatch(/^local: 1 image, 1 PDF, 0 DLQ entries, 0 unfinished/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
