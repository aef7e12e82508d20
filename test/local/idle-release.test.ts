/**
 * Local mode's idle self-release: a worker idle with the queue empty sends `leave` with a decrement
 * (core/idle-release.ts through the local InstanceControl); the local fleet lowers its desired count
 * and terminates that worker as the group would, so the fleet reaches zero long before the
 * scale-to-zero alarm could act.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Capture, writeImages } from './support/run-fixtures';
import { runLocal } from '../../worker-runtime/src/local-fleet/local-run';

describe('spot-worker local: idle self-release', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'local-idle-release-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('after the last image the idle worker leaves with a decrement; the fleet ends at zero without the scale-to-zero alarm', async () => {
    const images = path.join(dir, 'images');
    const { good, bad } = await writeImages(images, 4);
    const { report, exitCode } = await runLocal({
      images,
      out: path.join(dir, 'out'),
      label: 'idle-release',
      maxWorkers: 2,
      // The alarm would need 60 compressed minutes: far beyond the idle release's 90 s (1.5 s here).
      scaleToZeroAfterMinutes: 60,
      timeoutSeconds: 100,
      stdout: new Capture(),
      tty: false,
    });
    const reasons = report.scalingEvents.map((e) => e.reason);
    expect(reasons).toContain('idle-release');
    expect(reasons).not.toContain('scale-to-zero');
    expect(report.scalingEvents.filter((e) => e.reason === 'idle-release').every((e) => e.to === e.from - 1)).toBe(true);
    expect(report.scalingEvents[report.scalingEvents.length - 1]).toMatchObject({ to: 0, reason: 'idle-release' });
    expect(report).toMatchObject({ images: good.length + bad.length, pdfs: good.length });
    expect(report.unaccounted).toEqual([]);
    expect(exitCode).toBe(0);
  });
});
