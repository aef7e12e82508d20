/**
 * Local mode's wake on upload and its injected storage latency: the uploads' events wake a fleet
 * at zero before any compressed CloudWatch minute is evaluated, and with 80 ms before every storage
 * request and adaptive job slots every image still gets exactly one PDF.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Capture, writeImages } from './support/run-fixtures';
import { runLocal } from '../../worker-runtime/src/local-fleet/local-run';
import { UploadWake } from '../../worker-runtime/src/local-fleet/upload-wake';

describe('UploadWake', () => {
  test('an upload sets a fleet at zero to 1; a running fleet, no upload, or max 0 leave it alone', () => {
    const w = new UploadWake();
    expect(w.apply(0, 4)).toBe(0);
    w.noteUpload();
    expect(w.apply(0, 4)).toBe(1);
    expect(w.apply(0, 4)).toBe(0);
    w.noteUpload();
    expect(w.apply(3, 4)).toBe(3);
    w.noteUpload();
    expect(w.apply(0, 0)).toBe(0);
  });
});

describe('spot-worker local: upload wake and --storage-latency', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'local-wake-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the first scaling event is the upload wake (0 → 1); with 80 ms storage latency every image has its PDF', async () => {
    const images = path.join(dir, 'images');
    const { good, bad } = await writeImages(images, 12);
    const { report, exitCode } = await runLocal({
      images,
      out: path.join(dir, 'out'),
      label: 'wake',
      maxWorkers: 2,
      storageLatencyMs: 80,
      scaleToZeroAfterMinutes: 1,
      timeoutSeconds: 100,
      stdout: new Capture(),
      tty: false,
    });
    expect(report.scalingEvents[0]).toMatchObject({ from: 0, to: 1, reason: 'upload-wake' });
    expect(report.scalingEvents.map((e) => e.reason)).not.toContain('step-0-to-1');
    expect(report).toMatchObject({ images: good.length + bad.length, pdfs: good.length });
    expect(report.unaccounted).toEqual([]);
    expect(report.policy).toMatchObject({ concurrency: 'auto', storageLatencyMs: 80 });
    expect(exitCode).toBe(0);
  });
});
